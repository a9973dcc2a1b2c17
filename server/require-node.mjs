/**
 * Run before `npm start`, `npm run serve` and `npm run dev` (their `pre`
 * scripts). Plain JavaScript, so that an old Node can run it: the server is
 * TypeScript that Node runs directly only from the version in package.json's
 * `engines`, and an older one would build the site for half a minute and then
 * die with ERR_UNKNOWN_FILE_EXTENSION.
 */
import { readFileSync } from 'node:fs';

const { name, engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const minimum = engines.node.replace(/^>=\s*/, '');

const parts = (version) => version.split('.').map(Number);
const [major, minor, patch] = parts(process.versions.node);
const [needMajor, needMinor, needPatch] = parts(minimum);
const oldEnough = major !== needMajor ? major > needMajor : minor !== needMinor ? minor > needMinor : patch >= needPatch;

if (!oldEnough) {
  console.error(
    `${name} needs Node.js ${minimum} or newer (its server runs TypeScript directly); this is Node.js ${process.versions.node}.\n` +
      'Install a current LTS release (Node 24) from https://nodejs.org/ or with your version manager (nvm install 24), then run this again.',
  );
  process.exit(1);
}
