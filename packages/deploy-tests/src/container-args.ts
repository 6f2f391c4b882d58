import type { V1Container } from '@kubernetes/client-node';

/**
 * A container's args as the kubelet hands them to the process in a pod of `namespace`: each
 * `$(NAME)` of a variable the container defines is replaced by its value, `$$` is a literal `$`,
 * and a `$(NAME)` of no variable stays as written (Kubernetes' third_party/forked/golang/expansion).
 * Values are the container's literal ones and the downward API's metadata.namespace, the only
 * source the manifests here use for an arg; any other source is an error rather than a guess.
 */
export function expandedArgs(container: V1Container, namespace: string): string[] {
  const values = new Map<string, string>();
  for (const env of container.env ?? []) {
    if (env.value !== undefined) values.set(env.name, env.value);
    else if (env.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') values.set(env.name, namespace);
  }
  return (container.args ?? []).map((arg) =>
    arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
      if (name === undefined) return '$';
      const value = values.get(name);
      if (value !== undefined) return value;
      if ((container.env ?? []).some((e) => e.name === name))
        throw new Error(`${container.name}: $(${name}) comes from a source this expansion does not know`);
      return whole;
    }),
  );
}
