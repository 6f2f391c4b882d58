import type { Refusal } from './forbidden.js';
import { type Identity, serviceAccountOf } from './who-am-i.js';

/** The rights an app was made for, as k8s/ grants them: where the fix for a refusal is found. */
export interface AppAccess {
  /** The app's Deployment and its ServiceAccount, named alike in k8s/: guitars-controller. */
  app: string;
  /**
   * The namespace k8s/ runs the app in and binds its ServiceAccount in: guitarcenter. An app that
   * runs as a ServiceAccount of another namespace is pointed at that namespace's own (a project of
   * another name, docs/deploy.md); this is for when nothing says where it runs.
   */
  namespace: string;
  /** The role of k8s/ that grants each resource the app uses. */
  grants: ReadonlyArray<Grant>;
}

export interface Grant {
  /** '' is the core group. */
  group: string;
  resource: string;
  role: { kind: 'ClusterRole' | 'Role'; name: string };
  /** The manifest that holds the role and its binding, from the repository's root. */
  file: string;
}

export interface ForbiddenExplanation {
  /** The user the request ran as, when known. */
  identity: string | undefined;
  /** Where that name came from: the apiserver's SelfSubjectReview, the token, or its refusal. */
  identitySource: Identity['source'] | 'refusal' | undefined;
  verb: string | undefined;
  /** As kubectl names it: guitars.kool.karmalabs.local, leases.coordination.k8s.io, events. */
  resource: string;
  name: string | undefined;
  /** undefined: the cluster scope. */
  namespace: string | undefined;
  /** What to change, with the command that does it. */
  fix: string;
  /** One sentence with all of the above, for a log line and /readyz. */
  message: string;
}

/**
 * Says who was refused what, and how to fix it: the ServiceAccount to run as (the usual mistake:
 * `oc new-app` leaves a Deployment on the namespace's `default` ServiceAccount), or the binding
 * that is missing. `identity` is who the apiserver says we are; without it, the refusal's user.
 */
export function explainForbidden(
  refusal: Refusal,
  identity: Identity | undefined,
  access: AppAccess,
): ForbiddenExplanation {
  const who = identity?.username ?? refusal.user;
  const identitySource = identity ? identity.source : refusal.user ? 'refusal' : undefined;
  const resource = refusal.group ? `${refusal.resource}.${refusal.group}` : refusal.resource;
  const where = refusal.namespace ? `in namespace ${refusal.namespace}` : 'at the cluster scope';
  const object = refusal.name ? ` ${refusal.name}` : '';
  const fix = fixFor(refusal, who, access);
  const runsAs = who ? `${who}${identitySource ? ` (${SOURCES[identitySource]})` : ''}` : 'an unknown user';
  return {
    identity: who,
    identitySource,
    verb: refusal.verb,
    resource,
    name: refusal.name,
    namespace: refusal.namespace,
    fix,
    message: `forbidden: ${access.app} runs as ${runsAs}, which may not ${refusal.verb ?? 'use'} ${resource}${object} ${where}. Fix: ${fix}`,
  };
}

const SOURCES: Record<NonNullable<ForbiddenExplanation['identitySource']>, string> = {
  SelfSubjectReview: 'SelfSubjectReview',
  token: "its token's subject",
  refusal: "the apiserver's refusal",
};

function fixFor(refusal: Refusal, who: string | undefined, access: AppAccess): string {
  const base = refusal.resource.split('/')[0];
  const grant = access.grants.find((g) => g.group === refusal.group && g.resource === base);
  const subject = who ?? 'the identity the app runs as';
  if (!grant) {
    return `grant ${subject} ${refusal.verb ?? 'access to'} ${refusal.resource}: ${access.app} is not expected to need it`;
  }
  const { kind, name: role } = grant.role;
  const sa = who === undefined ? undefined : serviceAccountOf(who);
  // The app's own ServiceAccount is the one of the namespace it runs in: any project's name works.
  const home = sa?.namespace ?? access.namespace;
  const own = `${home}/${access.app}`;
  const setServiceAccount = `kubectl -n ${home} set serviceaccount deployment/${access.app} ${access.app}`;
  // The file binds guitarcenter's ServiceAccount; another project applies it with its own name.
  const apply =
    home === access.namespace
      ? `kubectl apply -f ${grant.file}`
      : `kubectl apply -f ${grant.file} with namespace ${access.namespace} replaced by ${home} (docs/deploy.md, In a project of another name)`;
  // A Role grants in its own namespace only: a request elsewhere needs another Role there.
  const elsewhere = kind === 'Role' && refusal.namespace !== undefined && refusal.namespace !== home;
  if (elsewhere) {
    return `${kind} ${role} (${grant.file}) grants this in namespace ${home} only: run ${access.app} there as the ServiceAccount ${own}, or create that Role and a RoleBinding to ${subject} in namespace ${refusal.namespace}`;
  }
  if (sa && sa.name === access.app) {
    return `the ServiceAccount is the right one but its binding is missing: as a cluster admin, ${apply} (${kind} ${role}, bound to ${own})`;
  }
  const bind = bindCommand(kind, role, home, sa, who);
  if (sa) {
    return `run it as the ServiceAccount ${own}, which ${grant.file} grants this to: \`${setServiceAccount}\`; or bind ${kind} ${role} to ${who}: \`${bind}\``;
  }
  if (who) {
    return `bind ${kind} ${role} (${grant.file}) to ${who}: \`${bind}\`, or use a kubeconfig whose user has that role; in a pod, run as the ServiceAccount ${own}`;
  }
  return `run it as the ServiceAccount ${own} (\`${setServiceAccount}\`), which ${grant.file} grants this to`;
}

function bindCommand(
  kind: Grant['role']['kind'],
  role: string,
  namespace: string,
  sa: { namespace: string; name: string } | undefined,
  who: string | undefined,
): string {
  const flag = sa ? `--serviceaccount=${sa.namespace}:${sa.name}` : `--user=${who}`;
  const binding = slug(`${role}-${sa ? `${sa.namespace}-${sa.name}` : (who ?? '')}`);
  return kind === 'ClusterRole'
    ? `kubectl create clusterrolebinding ${binding} --clusterrole=${role} ${flag}`
    : `kubectl -n ${namespace} create rolebinding ${binding} --role=${role} ${flag}`;
}

/** A valid object name (lower-case letters, digits, '-' and '.') made of any text. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 200);
}
