/** Bracelet codes typed or scanned into one field: split on commas, semicolons or spaces, deduplicated. */
export function parseBracelets(s: string): string[] {
  return [...new Set(s.split(/[\s,;]+/).map((b) => b.trim()).filter((b) => b !== ''))]
}
