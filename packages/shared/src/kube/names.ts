/**
 * Kubernetes object names, checked as the apiserver checks them: a namespace is a DNS-1123 label,
 * and the objects this project addresses (guitars, events, leases) are named by DNS-1123
 * subdomains. Anything else ('.', '..', '', a slash) could change the shape of a REST path.
 */
export const MAX_LABEL_LENGTH = 63;
export const MAX_SUBDOMAIN_LENGTH = 253;

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** The patterns, as regular expression sources (for an OpenAPI document, say). */
export const DNS1123_LABEL_PATTERN = `^${LABEL}$`;
export const DNS1123_SUBDOMAIN_PATTERN = `^${LABEL}(\\.${LABEL})*$`;
const LABEL_PATTERN = new RegExp(DNS1123_LABEL_PATTERN);
const SUBDOMAIN_PATTERN = new RegExp(DNS1123_SUBDOMAIN_PATTERN);

/** Lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63. */
export function isDns1123Label(value: string): boolean {
  // The length first: the pattern then never runs on a long hostile string.
  return value.length <= MAX_LABEL_LENGTH && LABEL_PATTERN.test(value);
}

/** Labels joined by '.', at most 253 characters in all. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= MAX_SUBDOMAIN_LENGTH && SUBDOMAIN_PATTERN.test(value);
}

/** A namespace or an object name that no object can have; thrown before any request is sent. */
export class InvalidNameError extends Error {
  override name = 'InvalidNameError';

  constructor(
    readonly field: 'namespace' | 'name',
    readonly value: string,
  ) {
    const rule =
      field === 'namespace'
        ? `a DNS-1123 label: lower-case letters, digits and '-', at most ${MAX_LABEL_LENGTH} characters`
        : `a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most ${MAX_SUBDOMAIN_LENGTH} characters`;
    super(`${JSON.stringify(value.slice(0, 80))} is not a valid ${field}: it must be ${rule}`);
  }
}

/** Throws InvalidNameError unless `namespace` is a valid namespace name. */
export function checkNamespace(namespace: string): string {
  if (!isDns1123Label(namespace)) throw new InvalidNameError('namespace', namespace);
  return namespace;
}

/** Throws InvalidNameError unless `name` is a valid object name. */
export function checkName(name: string): string {
  if (!isDns1123Subdomain(name)) throw new InvalidNameError('name', name);
  return name;
}
