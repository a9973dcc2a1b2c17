import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Used when the limit cannot be read (no /proc, no shell): the common soft default. */
const FALLBACK_LIMIT = 1024;

/**
 * The process's open-file limit (the soft `RLIMIT_NOFILE`, what `ulimit -n`
 * prints). Node raises its soft limit to the hard one at start, so this is
 * the limit that really applies. On Linux it is a read of /proc/self/limits;
 * elsewhere one `sh -c 'ulimit -n'` at start (a child inherits the limit).
 */
export function fileDescriptorLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft !== undefined) return parseLimit(soft);
  } catch {
    // Not Linux: ask a shell.
  }
  try {
    return parseLimit(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2_000 }).trim());
  } catch {
    return FALLBACK_LIMIT;
  }
}

function parseLimit(text: string): number {
  // "unlimited": the kernel's own ceiling still applies; a million is beyond any single process here.
  if (text === 'unlimited') return 1_048_576;
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : FALLBACK_LIMIT;
}
