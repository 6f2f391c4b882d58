/**
 * The rules a new guitar must pass before it is sent to the cluster, worded for people. They mirror
 * what the apiserver enforces (object names, namespaces) and what the CRD schema says (brand), so
 * a mistake is explained next to its field instead of as an apiserver error.
 */
import {
  firstInvisibleCharacter,
  isDns1123Label,
  isDns1123Subdomain,
  MAX_LABEL_LENGTH,
  MAX_SUBDOMAIN_LENGTH,
} from '@guitars/shared';

export const MAX_NAME_LENGTH = MAX_SUBDOMAIN_LENGTH;
export const MAX_NAMESPACE_LENGTH = MAX_LABEL_LENGTH;
export const MAX_BRAND_LENGTH = 63;

export type GuitarField = 'name' | 'brand' | 'namespace';
export type FieldErrors = Partial<Record<GuitarField, string>>;

export interface NewGuitar {
  name: string;
  brand: string;
  namespace: string;
}

/** What a user typed, before normalisation. */
export interface GuitarInput {
  name?: unknown;
  brand?: unknown;
  namespace?: unknown;
}

export type ValidationResult = { ok: true; guitar: NewGuitar } | { ok: false; errors: FieldErrors };

/** Names are lower-cased, as the original UI did, then checked as Kubernetes checks object names. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}

export function nameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name.';
  if (name.length > MAX_NAME_LENGTH)
    return `Use at most ${MAX_NAME_LENGTH} characters (this one has ${name.length}).`;
  if (!isDns1123Subdomain(name)) {
    return "Use only lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'stratocaster' or 'les-paul.59').";
  }
  return undefined;
}

export function namespaceProblem(namespace: string): string | undefined {
  if (namespace === '') return 'Enter a namespace.';
  if (namespace.length > MAX_NAMESPACE_LENGTH) return `Use at most ${MAX_NAMESPACE_LENGTH} characters.`;
  if (!isDns1123Label(namespace)) {
    return "Use only lower-case letters, digits and '-', starting and ending with a letter or digit.";
  }
  return undefined;
}

export function brandProblem(brand: string): string | undefined {
  if (brand === '') return 'Enter a brand.';
  if ([...brand].length > MAX_BRAND_LENGTH) return `Use at most ${MAX_BRAND_LENGTH} characters.`;
  // A brand must read as it is, in a table and a log: the CRD's pattern on spec.brand refuses these too.
  const invisible = firstInvisibleCharacter(brand);
  if (invisible?.kind === 'control')
    return `The brand contains a control character (${invisible.label}). Use printable characters only.`;
  if (invisible) {
    return `The brand contains an invisible formatting character (${invisible.label}), which changes how the brand or the text around it is shown. Type the brand without it.`;
  }
  return undefined;
}

/**
 * Checks and normalises a new guitar: the name is trimmed and lower-cased, the brand trimmed, an
 * empty namespace replaced by the default. Non-string fields are reported against their field.
 */
export function validateNewGuitar(input: GuitarInput, defaultNamespace: string): ValidationResult {
  const errors: FieldErrors = {};
  const text = (field: GuitarField, value: unknown): string => {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    errors[field] = 'Must be a string.';
    return '';
  };
  const name = normalizeName(text('name', input.name));
  const brand = text('brand', input.brand).trim();
  const namespace = text('namespace', input.namespace).trim() || defaultNamespace;

  errors.name ??= nameProblem(name);
  errors.brand ??= brandProblem(brand);
  errors.namespace ??= namespaceProblem(namespace);
  for (const field of Object.keys(errors) as GuitarField[])
    if (errors[field] === undefined) delete errors[field];
  return Object.keys(errors).length > 0
    ? { ok: false, errors }
    : { ok: true, guitar: { name, brand, namespace } };
}
