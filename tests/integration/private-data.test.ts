import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DATABASE_FILE, openSqliteDatabase } from '../../server/store/sqlite-database.ts';
import { startServer } from '../harness/start-server.ts';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('private data: the SQLite files', { skip: process.platform === 'win32' && 'POSIX modes only' }, () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'workbook-private-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('creates the folder 0700 and the database, its WAL and shared memory 0600', async () => {
    const dataDir = path.join(root, 'fresh', 'data');
    const server = await startServer({ config: { dataDir } });
    try {
      // The migrations at start wrote through the WAL: all three files exist now.
      assert.equal(await modeOf(dataDir), 0o700);
      for (const suffix of ['', '-wal', '-shm']) {
        assert.equal(await modeOf(path.join(dataDir, DATABASE_FILE + suffix)), 0o600, `${DATABASE_FILE}${suffix}`);
      }
    } finally {
      await server.stop();
    }
  });

  it('tightens the folder and the files an older version left readable to everyone', async () => {
    const dataDir = path.join(root, 'older');
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    openSqliteDatabase(dataDir).close();
    const file = path.join(dataDir, DATABASE_FILE);
    await chmod(file, 0o644);
    await chmod(dataDir, 0o755);

    openSqliteDatabase(dataDir).close();
    assert.equal(await modeOf(dataDir), 0o700);
    assert.equal(await modeOf(file), 0o600);
  });

  it('leaves a shared folder (sticky, like /tmp) as it is, and still keeps the database private', async () => {
    const shared = path.join(root, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    await writeFile(path.join(shared, 'someone-else.txt'), '');
    openSqliteDatabase(shared).close();
    assert.equal((await stat(shared)).mode & 0o7777, 0o1777);
    assert.equal(await modeOf(path.join(shared, DATABASE_FILE)), 0o600);
  });
});
