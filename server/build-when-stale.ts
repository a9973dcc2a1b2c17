/**
 * `npm start`: builds the site only when something it is built from changed
 * since the last build, so a second start serves within seconds instead of
 * rebuilding for half a minute. Like make, it compares modification times:
 * the newest input against a stamp written after the last successful build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { changedSince } from './build-inputs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = path.join(root, 'dist', '.built');
const builtPage = path.join(root, 'dist', 'client', 'index.html');

const builtAt = existsSync(stamp) && existsSync(builtPage) ? statSync(stamp).mtimeMs : 0;
const changed = changedSince(root, builtAt);

if (changed === undefined) {
  console.log('The site is up to date with its sources: not rebuilding (npm run build forces a build).');
} else {
  console.log(builtAt === 0 ? 'Building the site…' : `${changed} changed since the last build: rebuilding the site…`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // Written after the build, so everything the build wrote (the diagram cache in src/) is older.
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
