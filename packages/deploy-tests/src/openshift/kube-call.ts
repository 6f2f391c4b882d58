import { request } from 'node:https';

/** The real kube-apiserver behind the OpenShift stand-in: its URL and the CA of its certificate. */
export interface RealApiserver {
  server: string;
  caPem: string;
}

/** Credentials for one call: a bearer token (a user's, a ServiceAccount's) or a client certificate. */
export type Credentials = { token: string } | { certPem: string; keyPem: string };

export interface KubeAnswer {
  status: number;
  body: unknown;
}

/**
 * One JSON call to the real apiserver. Raw HTTPS rather than client-node: the stand-in acts with
 * whatever token its caller brought (a user's), and must see the apiserver's status as it is.
 */
export function kubeCall(
  api: RealApiserver,
  credentials: Credentials,
  method: string,
  path: string,
  body?: unknown,
): Promise<KubeAnswer> {
  const target = new URL(path, api.server);
  const headers: Record<string, string> = { accept: 'application/json' };
  if ('token' in credentials) headers.authorization = `Bearer ${credentials.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const tls = 'certPem' in credentials ? { cert: credentials.certPem, key: credentials.keyPem } : {};
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers, ca: api.caPem, ...tls, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON (an apiserver answers 401 with JSON, but a proxy error may be text): kept as is.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
