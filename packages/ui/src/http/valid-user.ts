import type { RequestHandler } from 'express';
import type { UserNamespaces } from '../cluster/user-namespaces.js';
import { proxyUserOf } from './proxy-identity.js';

/**
 * UI_AUTH=proxy, after proxyIdentity: the request's token must be one the apiserver accepts
 * (a SelfSubjectAccessReview sent with it, kept per user as UserNamespaces keeps its answers).
 * The headers only say who the proxy signed in; without this, any value in them would open the
 * routes that ask the cluster nothing (/events, /static, /api/openapi.json).
 */
export function requireValidUser(users: Pick<UserNamespaces, 'authenticate'>): RequestHandler {
  return (req, _res, next) => {
    const user = proxyUserOf(req);
    // proxyIdentity let the request through without a user: an open path (the probes).
    if (!user) return next();
    users.authenticate(user.token).then(() => next(), next);
  };
}
