import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './http-error.js';

export interface AllowedHostsOptions {
  /** UI_ALLOWED_HOSTS: names, lower case, without port; '*' for any name. */
  names: readonly string[] | undefined;
  /** Whether every request needs credentials (basic, bearer, or a signing-in proxy). */
  signIn: boolean;
}

/**
 * Refuses (421) a request sent to a name the UI does not answer to, before any other work: DNS
 * rebinding points an attacker's name at this UI, and its page then drives the UI with whatever
 * reaching the UI grants. Always answered: IP addresses (nobody can rebind an address; the
 * kubelet's probes send the pod's) and localhost, *.localhost (browsers resolve them to loopback
 * themselves). Other names only as UI_ALLOWED_HOSTS lists them; unset, any name with sign-in on:
 * cookies and cached basic credentials belong to the origin that got them, so a browser sends
 * none to a rebound name, and the attacker's page gets a 401 (or the password prompt, for its
 * own name).
 */
export function allowedHosts({ names, signIn }: AllowedHostsOptions): RequestHandler {
  const listed = new Set(names ?? []);
  const anyName = listed.has('*') || (names === undefined && signIn);
  const answers = (name: string) => isAddressOrLocal(name) || anyName || listed.has(name);
  return (req, _res, next) => {
    const names = namesOf(req);
    const refused = names.findIndex((name) => name === undefined || !answers(name));
    if (refused === -1) return next();
    const name = names[refused];
    req.log?.warn({ host: req.headers.host, name }, 'refused a request for a name not allowed');
    const which = name ? `the name "${name}"` : 'a request without a valid host name';
    next(
      new HttpError(
        421,
        `This server does not answer to ${which}. If that is its address, add the name to UI_ALLOWED_HOSTS.`,
      ),
    );
  };
}

/**
 * Every name the request was sent to, without port; undefined for one that does not parse: the
 * Host header, X-Forwarded-Host from a trusted proxy (Express's req.host, which the Origin check
 * uses), and the authority of an absolute-form target (`GET http://evil.example/static`), which
 * HTTP says overrides Host.
 */
function namesOf(req: Request): Array<string | undefined> {
  const names = [hostName(req.headers.host), hostName(req.host)];
  if (!req.originalUrl.startsWith('/')) {
    try {
      const target = new URL(req.originalUrl);
      if (target.host !== '') names.push(hostName(target.host));
    } catch {
      // `*` (OPTIONS *) or garbage: no authority; the routes answer 404.
    }
  }
  return names;
}

/** `Name.Example.:8080` → `name.example`; `[::1]:8080` → `[::1]`; undefined for anything else. */
function hostName(host: string | undefined): string | undefined {
  // Nothing that URL would read as user info, path or query (`localhost@evil.example`).
  if (!host || !/^[\w.:[\]-]+$/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

function isAddressOrLocal(name: string): boolean {
  const address = name.startsWith('[') ? name.slice(1, -1) : name;
  return isIP(address) !== 0 || name === 'localhost' || name.endsWith('.localhost');
}
