/** The key under which two names count as the same (case-insensitive). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}
