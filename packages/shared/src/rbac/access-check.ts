import type { AppAccess, Grant } from './explain-forbidden.js';

/** The fields of RBAC objects that a grant is checked against. */
export interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Array<{ apiGroups?: string[]; resources?: string[] }>;
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

/**
 * Where `access` and the manifests that hold its grants disagree: a role that is missing or
 * grants nothing on the resource, no binding of it to the app's ServiceAccount, or a resource
 * those roles grant that `access` does not list. Empty when every fix a 403 could name (role,
 * file, ServiceAccount) is what the manifests say.
 */
export function accessMismatches(
  access: AppAccess,
  manifests: (file: string) => ReadonlyArray<RbacObject>,
): string[] {
  const problems = access.grants.flatMap((grant) => mismatches(access, grant, manifests(grant.file)));
  const known = new Set(access.grants.map((g) => `${g.resource}.${g.group}`));
  for (const file of new Set(access.grants.map((g) => g.file))) {
    for (const role of manifests(file).filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      for (const rule of role.rules ?? []) {
        for (const group of rule.apiGroups ?? []) {
          for (const resource of rule.resources ?? []) {
            if (!known.has(`${resource}.${group}`))
              problems.push(
                `${role.kind} ${role.metadata.name} in ${file} grants ${resource} of group "${group}", unlisted`,
              );
          }
        }
      }
    }
  }
  return problems;
}

function mismatches(access: AppAccess, grant: Grant, objects: ReadonlyArray<RbacObject>): string[] {
  const { kind, name } = grant.role;
  const what = `${kind} ${name} in ${grant.file}`;
  const role = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!role) return [`no ${what}`];
  const problems: string[] = [];
  if (kind === 'Role' && role.metadata.namespace !== access.namespace)
    problems.push(`${what} is not in namespace ${access.namespace}`);
  const granted = (role.rules ?? []).some(
    (r) => (r.apiGroups ?? []).includes(grant.group) && (r.resources ?? []).includes(grant.resource),
  );
  if (!granted) problems.push(`${what} grants nothing on ${grant.resource} of group "${grant.group}"`);
  const bound = objects.some(
    (o) =>
      o.kind === (kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding') &&
      (kind === 'ClusterRole' || o.metadata.namespace === access.namespace) &&
      o.roleRef?.kind === kind &&
      o.roleRef.name === name &&
      (o.subjects ?? []).some(
        (s) => s.kind === 'ServiceAccount' && s.name === access.app && s.namespace === access.namespace,
      ),
  );
  if (!bound) problems.push(`${what} is not bound to ServiceAccount ${access.namespace}/${access.app}`);
  return problems;
}
