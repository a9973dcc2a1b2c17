/**
 * What Linux says a process used, read from /proc: the benches measure the
 * server process itself, not the client harness beside it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// /proc/<pid>/stat counts CPU time in these.
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Resident set size, in KiB. */
export function rssKib(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/**
 * utime and stime, in µs (a clock tick is 10 ms on most machines: measure long enough): time in the process's own code (JavaScript,
 * V8, libuv) and time in the kernel on its behalf (system calls: on loopback
 * a socket write also runs the receiver's TCP input, so most of it is there).
 */
export function cpuTimes(pid: number): { user: number; system: number } {
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const micros = (ticks: string | undefined) => (Number(ticks) / CLOCK_TICKS_PER_SECOND) * 1e6;
  return { user: micros(fields[11]), system: micros(fields[12]) };
}

/** Bytes the process handed to write-like system calls (sockets included). */
export function bytesWritten(pid: number): number {
  return Number(/wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

/** The `q` quantile of ascending `sorted` samples (NaN for none). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * Each connection is a descriptor in the client harness and one in the
 * server, which inherits this process's limit. The soft limit can be raised
 * up to the hard one (and the hard one by root): re-run the bench under a
 * raised limit, or say how. Returns only when the limit is enough.
 */
export function ensureFileDescriptors(needed: number): void {
  const [soft, hard] = /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))!.slice(1).map(Number) as [
    number,
    number,
  ];
  if (soft >= needed) return;
  if (process.env.BENCH_FD_RAISED) {
    console.error(
      `Only ${soft} file descriptors (hard limit ${hard}); ${needed} needed. Run: ulimit -n ${needed} (as root if the hard limit is lower), then this bench.`,
    );
    process.exit(1);
  }
  if (needed > hard && !canRaiseHardLimit(needed)) {
    console.error(
      `${needed} file descriptors needed, and the hard limit is ${hard}, which this user may not raise. ` +
        `Raise it (as root: ulimit -Hn ${needed}; in a container: --ulimit nofile=${needed}:${needed}) or ask for fewer connections.`,
    );
    process.exit(1);
  }
  console.log(`Raising the file-descriptor limit from ${soft} to ${needed} and starting again.`);
  const rerun = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  try {
    execFileSync('sh', ['-c', `ulimit -n ${needed} && exec "$@"`, 'sh', ...rerun], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_FD_RAISED: '1' },
    });
    process.exit(0);
  } catch (error) {
    process.exit((error as { status?: number }).status ?? 1);
  }
}

/** Raising the hard limit needs privilege (CAP_SYS_RESOURCE); being root in a container may not be enough. */
function canRaiseHardLimit(needed: number): boolean {
  try {
    execFileSync('sh', ['-c', `ulimit -n ${needed}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
