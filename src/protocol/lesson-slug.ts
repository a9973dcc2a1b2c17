/** `02-short-polling.mdx` → `short-polling`: the numeric prefix orders files, the URL stays stable. */
export function lessonSlug(fileName: string): string {
  return fileName.replace(/\.mdx?$/, '').replace(/^\d+-/, '');
}
