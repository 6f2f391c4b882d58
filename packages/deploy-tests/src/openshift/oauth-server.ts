import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Credentials, kubeCall, type RealApiserver } from './kube-call.js';

/** A person of the test, and the ServiceAccount whose tokens stand for them on the real apiserver. */
export interface TestUser {
  namespace: string;
  serviceAccount: string;
}

/** OpenShift's OAuth access tokens live 24 h unless the cluster's OAuth config says otherwise. */
export const ACCESS_TOKEN_SECONDS = 24 * 60 * 60;
const CODE_MS = 5 * 60 * 1000;
const SA_PREFIX = 'system:serviceaccount:';
const REDIRECT_REFERENCE = 'serviceaccounts.openshift.io/oauth-redirectreference.';

interface Grant {
  clientId: string;
  redirectUri: string;
  login: string;
  expires: number;
}

/**
 * The OAuth server of the stand-in (oauth-openshift's /oauth/authorize and /oauth/token, as
 * oauth-proxy's openshift provider uses them): a ServiceAccount is the client (client_id
 * system:serviceaccount:<ns>:<sa>, client secret one of its tokens), sending users back only to
 * the Routes its oauth-redirectreference annotations name. A person signs in by name on a tiny form
 * (no password: the test's named users only) and the client gets a real token of the real
 * apiserver, from the TokenRequest API, for the ServiceAccount standing for that person, living as
 * long as an OpenShift access token. Scopes are not enforced: the token carries the
 * ServiceAccount's own RBAC.
 */
export class OAuthServer {
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly api: RealApiserver,
    private readonly admin: Credentials,
    private readonly users: Record<string, TestUser>,
    readonly issuer: string,
  ) {}

  /** /.well-known/oauth-authorization-server, the fields oauth-proxy reads and a few more. */
  metadata(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/oauth/authorize`,
      token_endpoint: `${this.issuer}/oauth/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['plain', 'S256'],
    };
  }

  /** GET shows the sign-in form; POST signs the named user in and sends the code to the client. */
  async authorize(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    const clientId = form.get('client_id') ?? '';
    const redirectUri = form.get('redirect_uri') ?? '';
    if (form.get('response_type') !== 'code') return oauthError(res, 400, 'unsupported_response_type');
    const refused = await this.checkClient(clientId, redirectUri);
    if (refused) return oauthError(res, 400, 'invalid_request', refused);
    const login = form.get('username') ?? '';
    if (req.method !== 'POST' || !this.users[login]) {
      res.writeHead(req.method === 'POST' ? 401 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(form, req.method === 'POST'));
      return;
    }
    const code = randomBytes(24).toString('base64url');
    this.grants.set(code, { clientId, redirectUri, login, expires: Date.now() + CODE_MS });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    const state = form.get('state');
    if (state !== null) back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  /** The code for a token: the client authenticated by its ServiceAccount token, one use only. */
  async token(res: ServerResponse, form: URLSearchParams): Promise<void> {
    if (form.get('grant_type') !== 'authorization_code')
      return oauthError(res, 400, 'unsupported_grant_type');
    const code = form.get('code') ?? '';
    const grant = this.grants.get(code);
    this.grants.delete(code);
    const clientId = form.get('client_id') ?? '';
    if (!(await this.clientSecretValid(clientId, form.get('client_secret') ?? '')))
      return oauthError(res, 401, 'invalid_client');
    if (!grant || grant.expires < Date.now() || grant.clientId !== clientId)
      return oauthError(res, 400, 'invalid_grant');
    if (grant.redirectUri !== form.get('redirect_uri'))
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri differs from the authorize request');
    const user = this.users[grant.login] as TestUser;
    const path = `/api/v1/namespaces/${user.namespace}/serviceaccounts/${user.serviceAccount}/token`;
    const answer = await kubeCall(this.api, this.admin, 'POST', path, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [], expirationSeconds: ACCESS_TOKEN_SECONDS },
    });
    const token = (answer.body as { status?: { token?: string } }).status?.token;
    if (!token) return oauthError(res, 500, 'server_error', `TokenRequest: ${answer.status}`);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      JSON.stringify({
        access_token: token,
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_SECONDS,
        scope: form.get('scope') ?? '',
      }),
    );
  }

  /** Why the client may not use this redirect URI (undefined: it may), as OpenShift checks. */
  private async checkClient(clientId: string, redirectUri: string): Promise<string | undefined> {
    const [namespace, name] = clientId.startsWith(SA_PREFIX)
      ? clientId.slice(SA_PREFIX.length).split(':')
      : [];
    if (!namespace || !name) return `client_id ${clientId} is not a ServiceAccount`;
    const sa = await kubeCall(
      this.api,
      this.admin,
      'GET',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`,
    );
    if (sa.status !== 200) return `no ServiceAccount ${namespace}/${name}`;
    const annotations = (sa.body as { metadata?: { annotations?: Record<string, string> } }).metadata
      ?.annotations;
    const allowed: string[] = [];
    for (const [key, value] of Object.entries(annotations ?? {})) {
      if (!key.startsWith(REDIRECT_REFERENCE)) continue;
      const reference = (JSON.parse(value) as { reference?: { kind?: string; name?: string } }).reference;
      if (reference?.kind !== 'Route' || !reference.name) continue;
      const route = await kubeCall(
        this.api,
        this.admin,
        'GET',
        `/apis/route.openshift.io/v1/namespaces/${namespace}/routes/${reference.name}`,
      );
      const spec = (route.body as { spec?: { host?: string; tls?: unknown } }).spec;
      if (route.status === 200 && spec?.host) allowed.push(`${spec.tls ? 'https' : 'http'}://${spec.host}`);
    }
    let origin = '';
    try {
      origin = new URL(redirectUri).origin;
    } catch {
      return `redirect_uri ${redirectUri} is not a URL`;
    }
    return allowed.includes(origin)
      ? undefined
      : `redirect_uri ${redirectUri} is none of ${allowed.join(', ')}`;
  }

  /** The secret is a token the real apiserver authenticates as the client's ServiceAccount. */
  private async clientSecretValid(clientId: string, secret: string): Promise<boolean> {
    if (secret === '') return false;
    const review = await kubeCall(
      this.api,
      this.admin,
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: secret },
      },
    );
    const status = (review.body as { status?: { authenticated?: boolean; user?: { username?: string } } })
      .status;
    return status?.authenticated === true && status.user?.username === clientId;
  }
}

function oauthError(res: ServerResponse, status: number, error: string, description?: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error, ...(description ? { error_description: description } : {}) }));
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The form posts back every authorize parameter with the user's name. */
function loginPage(form: URLSearchParams, failed: boolean): string {
  const hidden = [...form.entries()]
    .filter(([key]) => key !== 'username')
    .map(([key, value]) => `<input type="hidden" name="${escapeHtml(key)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html><title>Log in (OpenShift stand-in)</title>
<h1>Log in to the test cluster</h1>${failed ? '<p role="alert">Unknown user.</p>' : ''}
<form method="post" action="/oauth/authorize">${hidden}
<label>Username <input name="username" autocomplete="username"></label>
<button type="submit">Log in</button></form>`;
}
