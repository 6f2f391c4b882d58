/**
 * A brand as the controller reviews it and the UI filters and sorts it: without surrounding
 * spaces, case-insensitive ("  Fender " is fender).
 */
export function normalizeBrand(brand: string): string {
  return brand.trim().toLowerCase();
}
