import { dump } from 'js-yaml';

export type Credentials = { clientCertPem: string; clientKeyPem: string } | { token: string };

/** A kubeconfig (YAML) for one user of one cluster, with everything inline. */
export function kubeconfigYaml(options: {
  server: string;
  caPem: string;
  user: string;
  credentials: Credentials;
  namespace?: string;
}): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const user =
    'token' in options.credentials
      ? { token: options.credentials.token }
      : {
          'client-certificate-data': b64(options.credentials.clientCertPem),
          'client-key-data': b64(options.credentials.clientKeyPem),
        };
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'testenv',
        cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) },
      },
    ],
    users: [{ name: options.user, user }],
    contexts: [
      {
        name: 'testenv',
        context: {
          cluster: 'testenv',
          user: options.user,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': 'testenv',
  });
}
