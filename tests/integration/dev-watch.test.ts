import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { companionPort, runCompanion } from '../../server/dev-companion.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run dev: the companion', () => {
  // A copy of the checkout: the test edits a server file, which must not be one other tests load.
  const root = mkdtempSync(path.join(tmpdir(), 'rtw-dev-watch-'));
  for (const dir of ['server', 'src', 'content']) cpSync(path.join(repoRoot, dir), path.join(root, dir), { recursive: true });
  cpSync(path.join(repoRoot, 'package.json'), path.join(root, 'package.json'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('restarts on every save of a server file, also when the editor saves by renaming a new file over it', async () => {
    let starts = 0;
    let onStart = () => {};
    const stop = runCompanion({
      root,
      env: { API_ONLY: '1', PORT: '0', HOST: '127.0.0.1', DATA_DIR: ':memory:' },
      spawnNode: (args, env) => {
        const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (!/→ http:\/\/127\.0\.0\.1:\d+\//.test(line)) return;
          starts += 1;
          onStart();
        });
        return child;
      },
      log: () => {},
    });
    after(stop);
    const started = (count: number) =>
      new Promise<void>((resolve) => {
        onStart = () => starts >= count && resolve();
        onStart();
      });

    await started(1);
    // In a subdirectory, where Node's own --watch-path missed a later save of the same kind.
    const health = path.join(root, 'server', 'routes', 'health.ts');
    const original = readFileSync(health, 'utf8');
    for (const save of [1, 2, 3]) {
      // As editors save atomically: a new file, renamed over the old one (a new inode each time).
      const temporary = path.join(root, 'server', 'routes', `.health.ts.${save}.tmp`);
      writeFileSync(temporary, `${original}\n// save ${save}\n`);
      renameSync(temporary, health);
      await started(1 + save);
    }
    assert.equal(starts, 4);
  });
});

describe('npm run dev: the companion port', () => {
  it('is COMPANION_PORT, else the page port plus one, else 4322', () => {
    assert.equal(companionPort({}), 4322);
    assert.equal(companionPort({ PORT: '5000' }), 5001);
    assert.equal(companionPort({ PORT: '5000', COMPANION_PORT: '6000' }), 6000);
  });
});
