import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** What the site is built from. The pages show files of server/ and content/samples/ (SourceRegion): those count too. */
export const BUILD_INPUTS = [
  'src',
  'content',
  'public',
  'server',
  'astro.config.mjs',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
  // npm rewrites this on every install that changes node_modules.
  'node_modules/.package-lock.json',
] as const;

/** The first of {@link BUILD_INPUTS} under `root` changed after `builtAt` (ms), or undefined when none did. */
export function changedSince(root: string, builtAt: number): string | undefined {
  return BUILD_INPUTS.find((input) => newestChange(path.join(root, input)) > builtAt);
}

/** The newest modification time under `file` (itself, or anything in it), in ms; 0 when absent. */
function newestChange(file: string): number {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(file).reduce((newest, name) => Math.max(newest, newestChange(path.join(file, name))), stats.mtimeMs);
}
