import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, afterEach, describe, it } from 'node:test';
import { Pool } from 'pg';
import type { Progress } from '../../src/protocol/progress.ts';
import type { ServerConfig } from '../../server/config.ts';
import { DatabaseStartError } from '../../server/store/database-start-error.ts';
import { DatabaseUnavailable } from '../../server/store/database-unavailable.ts';
import type { Migration } from '../../server/store/migration.ts';
import { openStores, type Stores } from '../../server/open-stores.ts';
import { POSTGRES_MIGRATIONS } from '../../server/store/postgres-migrations.ts';
import { DATABASE_FILE, sqliteSchemaVersion } from '../../server/store/sqlite-database.ts';
import { SQLITE_MIGRATIONS } from '../../server/store/sqlite-migrations.ts';
import { NameTaken } from '../../server/workshops/workshop-store.ts';
import { freePort } from '../harness/ports.ts';
import { startTestPostgres } from '../harness/postgres-server.ts';

/** Where a database is: a directory (SQLite) or a URL (PostgreSQL). */
type Location = Pick<ServerConfig, 'dataDir' | 'databaseUrl'>;

/** One engine under the same cases. */
interface Engine {
  name: string;
  /** Why its cases are skipped (no PostgreSQL here), if they are. */
  skip: string | undefined;
  migrations: readonly Migration[];
  /** A new, empty database. */
  fresh(): Promise<Location>;
  /** The schema version, read beside the stores. */
  schemaVersion(location: Location): Promise<number>;
}

const postgres = await startTestPostgres();
const directories: string[] = [];
after(async () => {
  await postgres.stop();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const engines: Engine[] = [
  {
    name: 'SQLite',
    skip: undefined,
    migrations: SQLITE_MIGRATIONS,
    async fresh() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'rtw-stores-'));
      directories.push(dataDir);
      return { dataDir, databaseUrl: undefined };
    },
    async schemaVersion({ dataDir }) {
      const database = new DatabaseSync(path.join(dataDir, DATABASE_FILE), { readOnly: true });
      try {
        return sqliteSchemaVersion(database);
      } finally {
        database.close();
      }
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgres.skip,
    migrations: POSTGRES_MIGRATIONS,
    async fresh() {
      return { dataDir: ':memory:', databaseUrl: await postgres.createDatabase() };
    },
    async schemaVersion({ databaseUrl }) {
      const pool = new Pool({ connectionString: databaseUrl });
      try {
        const { rows } = await pool.query<{ versions: number; newest: number }>(
          'SELECT count(*)::int AS versions, max(version) AS newest FROM schema_migrations',
        );
        // Each version once: a migration run twice would have left a second row (or failed the start).
        assert.equal(rows[0]!.versions, rows[0]!.newest);
        return rows[0]!.newest;
      } finally {
        await pool.end();
      }
    },
  },
];

const completedShortPolling: Progress = {
  lessons: { 'short-polling': { visitedAt: 1_000, completedAt: 2_000, exercises: { 'etag-run': 2_000 } } },
  last: { lesson: 'short-polling', at: 2_000 },
};

for (const engine of engines) {
  describe(`the stores on ${engine.name}`, { skip: engine.skip }, () => {
    const opened: Stores[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((stores) => stores.close()));
    });

    /** Opens the stores on `location` and waits until they are ready, as the app does. */
    async function open(location: Location, migrations?: readonly Migration[]): Promise<Stores> {
      const stores = openStores(location, { onError: () => {}, migrations });
      opened.push(stores);
      await stores.ready();
      return stores;
    }

    describe('progress', () => {
      it('has nothing for a new learner, then keeps what a merge saved', async () => {
        const { progress } = await open(await engine.fresh());
        assert.equal(await progress.get('learner-a'), undefined);
        const before = Date.now();
        const saved = await progress.merge('learner-a', completedShortPolling);
        assert.deepEqual(saved.progress, completedShortPolling);
        assert.ok(saved.updatedAt >= before);
        assert.deepEqual(await progress.get('learner-a'), saved);
      });

      it('merges rather than overwrites, and a merge that adds nothing keeps the time of the last change', async () => {
        const { progress } = await open(await engine.fresh());
        const first = await progress.merge('learner-a', completedShortPolling);
        const visit: Progress = { lessons: { 'long-polling': { visitedAt: 3_000 } } };
        const second = await progress.merge('learner-a', visit);
        assert.deepEqual(Object.keys(second.progress.lessons).sort(), ['long-polling', 'short-polling']);
        assert.ok(second.updatedAt >= first.updatedAt);

        const again = await progress.merge('learner-a', completedShortPolling);
        assert.deepEqual(again, second);
        assert.deepEqual(await progress.get('learner-a'), second);
      });

      it('resets a learner, hiding what came before; resetting a stranger creates nobody', async () => {
        const { progress } = await open(await engine.fresh());
        await progress.merge('learner-a', completedShortPolling);
        const reset = await progress.reset('learner-a');
        assert.ok(reset);
        assert.deepEqual(reset.progress, { lessons: {}, resetAt: reset.updatedAt });
        // An older copy merged later stays hidden by the reset.
        const merged = await progress.merge('learner-a', completedShortPolling);
        assert.deepEqual(merged.progress.lessons, {});
        assert.equal(await progress.reset('stranger'), undefined);
        assert.equal(await progress.get('stranger'), undefined);
      });

      it('loses no completion when two instances save for one learner at once', async () => {
        const location = await engine.fresh();
        const instances = [await open(location), await open(location)];
        const lessons = Array.from({ length: 20 }, (_, index) => `lesson-${index}`);
        await Promise.all(
          lessons.map((lesson, index) =>
            instances[index % 2]!.progress.merge('learner-a', {
              lessons: { [lesson]: { completedAt: 1_000 + index } },
            }),
          ),
        );
        const stored = await instances[0]!.progress.get('learner-a');
        assert.deepEqual(Object.keys(stored!.progress.lessons).sort(), [...lessons].sort());
        assert.ok(lessons.every((lesson) => stored!.progress.lessons[lesson]!.completedAt !== undefined));
      });
    });

    describe('verified exercises', () => {
      it('keeps the first verification of each exercise, lists them by lesson, and forgets a learner', async () => {
        const { verified } = await open(await engine.fresh());
        assert.deepEqual(await verified.list('learner-a'), {});
        assert.equal(await verified.record('learner-a', 'short-polling', 'etag-poller', 1_000), 1_000);
        // A later pass changes nothing: the first verification stands.
        assert.equal(await verified.record('learner-a', 'short-polling', 'etag-poller', 2_000), 1_000);
        await verified.record('learner-a', 'long-polling', 'cursor', 3_000);
        await verified.record('learner-b', 'short-polling', 'etag-poller', 4_000);
        assert.deepEqual(await verified.list('learner-a'), {
          'short-polling': { 'etag-poller': 1_000 },
          'long-polling': { cursor: 3_000 },
        });
        await verified.forget('learner-a');
        assert.deepEqual(await verified.list('learner-a'), {});
        assert.deepEqual(await verified.list('learner-b'), { 'short-polling': { 'etag-poller': 4_000 } });
      });
    });

    describe("learners' code", () => {
      it('keeps the copy saved last, per learner and exercise', async () => {
        const { code } = await open(await engine.fresh());
        assert.deepEqual(await code.get('learner-a', 'short-polling', 'etag-poller'), { code: null, savedAt: null });
        assert.deepEqual(await code.save('learner-a', 'short-polling', 'etag-poller', 'first', 2_000), { code: 'first', savedAt: 2_000 });
        assert.deepEqual(await code.save('learner-a', 'short-polling', 'etag-poller', 'late and old', 1_000), {
          code: 'first',
          savedAt: 2_000,
        });
        assert.deepEqual(await code.save('learner-a', 'short-polling', 'etag-poller', 'newer', 3_000), { code: 'newer', savedAt: 3_000 });
        await code.save('learner-a', 'long-polling', 'cursor-loop', 'other exercise', 1_000);
        assert.deepEqual(await code.get('learner-a', 'short-polling', 'etag-poller'), { code: 'newer', savedAt: 3_000 });
        assert.deepEqual(await code.get('learner-b', 'short-polling', 'etag-poller'), { code: null, savedAt: null });
      });
    });

    describe('migrations', () => {
      it('are applied once when two instances start at once on a new database', async () => {
        const location = await engine.fresh();
        await Promise.all([open(location), open(location)]);
        assert.equal(await engine.schemaVersion(location), engine.migrations.length);
      });

      it('apply only the new ones, and a database newer than the code is refused', async () => {
        const location = await engine.fresh();
        await open(location);
        const later: Migration = { description: 'a later table', sql: 'CREATE TABLE later (id integer PRIMARY KEY);' };
        await open(location, [...engine.migrations, later]);
        assert.equal(await engine.schemaVersion(location), engine.migrations.length + 1);
        await assert.rejects(
          open(location),
          new RegExp(`schema version ${engine.migrations.length + 1}; this server knows ${engine.migrations.length}`),
        );
      });
    });

    describe('workshops', () => {
      it('creates a workshop with a join code, finds it by code, and keeps its state and focus', async () => {
        const { workshops } = await open(await engine.fresh());
        const created = await workshops.create('Realtime 101', 'hash', 1_000);
        assert.match(created.code, /^[A-Z0-9]{6}$/);
        assert.deepEqual(
          { title: created.title, state: created.state, focus: created.focus, createdAt: created.createdAt },
          { title: 'Realtime 101', state: 'open', focus: null, createdAt: 1_000 },
        );
        assert.deepEqual(await workshops.byCode(created.code), created);
        assert.equal(await workshops.byCode('ZZZZZZ'), undefined);

        await workshops.setState(created.id, 'locked', 2_000);
        const member = await workshops.addMember(created.id, 'learner-a', 'Ada', 2_000);
        await workshops.setDone(member.id, 2_500);
        assert.equal((await workshops.memberById(member.id))!.doneAt, 2_500);
        await workshops.setFocus(created.id, { lesson: 'sse', at: 3_000 }, 3_000);
        const found = await workshops.byCode(created.code);
        assert.deepEqual({ state: found!.state, focus: found!.focus }, { state: 'locked', focus: { lesson: 'sse', at: 3_000 } });
        // The focus lowered every "done".
        assert.deepEqual(await workshops.members(created.id), [member]);
      });

      it('lists members in join order, and keeps one present name per person, whatever its case', async () => {
        const { workshops } = await open(await engine.fresh());
        const { id } = await workshops.create('Names', 'hash', 1_000);
        const ada = await workshops.addMember(id, 'learner-a', 'Ada', 1_000);
        const bob = await workshops.addMember(id, 'learner-b', 'Bob', 2_000);
        await assert.rejects(workshops.addMember(id, 'learner-c', 'ADA', 3_000), NameTaken);
        await assert.rejects(workshops.saveMember({ ...bob, name: 'ada' }), NameTaken);
        // Keeping one's own name (another case of it) is no clash; leaving frees it.
        await workshops.saveMember({ ...ada, name: 'ADA' });
        await workshops.saveMember({ ...ada, name: 'ADA', leftAt: 4_000 });
        const carol = await workshops.addMember(id, 'learner-c', 'Ada', 5_000);
        assert.deepEqual(
          (await workshops.members(id)).map(({ name, leftAt }) => ({ name, leftAt })),
          [
            { name: 'ADA', leftAt: 4_000 },
            { name: 'Bob', leftAt: null },
            { name: carol.name, leftAt: null },
          ],
        );
      });

      it('finds a member by learner and by public id, left or not, and only in their own workshop', async () => {
        const { workshops } = await open(await engine.fresh());
        const ours = await workshops.create('Ours', 'hash', 1_000);
        const theirs = await workshops.create('Theirs', 'hash', 1_000);
        const ada = await workshops.addMember(ours.id, 'learner-a', 'Ada', 2_000);
        await workshops.saveMember({ ...ada, leftAt: 3_000 });
        const left = { ...ada, leftAt: 3_000 };
        assert.deepEqual(await workshops.findMember(ours.id, 'learner-a'), left);
        assert.deepEqual(await workshops.memberById(ada.id), left);
        assert.equal(await workshops.findMember(theirs.id, 'learner-a'), undefined);
        assert.equal(await workshops.findMember(ours.id, 'learner-b'), undefined);
        assert.equal(await workshops.memberById('nobody'), undefined);
      });

      it('brings back a learner who is already a member (through another instance) rather than adding them twice', async () => {
        const location = await engine.fresh();
        const [first, second] = [await open(location), await open(location)];
        const { id } = await first.workshops.create('Twice', 'hash', 1_000);
        const joined = await first.workshops.addMember(id, 'learner-a', 'Ada', 1_000);
        await first.workshops.saveMember({ ...joined, leftAt: 2_000 });
        const back = await second.workshops.addMember(id, 'learner-a', 'Ada L.', 3_000);
        assert.deepEqual(back, { ...joined, name: 'Ada L.', leftAt: null });
        assert.deepEqual(await first.workshops.members(id), [back]);
      });

      it('lets one of two instances take a name when both add it at once', async () => {
        const location = await engine.fresh();
        const instances = [await open(location), await open(location)];
        const { id } = await instances[0]!.workshops.create('Race', 'hash', 1_000);
        // Connections opened beforehand, so the adds below really run at the same time.
        await Promise.all(instances.flatMap(({ workshops }) => Array.from({ length: 5 }, () => workshops.members(id))));
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, index) =>
            instances[index % 2]!.workshops.addMember(id, `learner-${index}`, index % 2 ? 'ada' : 'Ada', 1_000 + index),
          ),
        );
        assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof NameTaken, String(outcome.reason));
        }
        assert.equal((await instances[1]!.workshops.members(id)).length, 1);
      });
    });
  });
}

describe('PostgreSQL out of reach', () => {
  it('fails the start with one line naming the database, its password masked', async () => {
    const port = await freePort();
    const stores = openStores(
      { dataDir: ':memory:', databaseUrl: `postgres://workbook:s3cret@127.0.0.1:${port}/workbook` },
      { onError: () => {} },
    );
    try {
      await assert.rejects(stores.ready(), (error: Error) => {
        assert.ok(error instanceof DatabaseStartError);
        assert.match(
          error.message,
          new RegExp(
            `^Cannot use the PostgreSQL database postgres://workbook:\\*\\*\\*@127\\.0\\.0\\.1:${port}/workbook \\(DATABASE_URL\\): .*ECONNREFUSED`,
          ),
        );
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      });
      // A query that finds no server is a 503 for the client, not a 500.
      await assert.rejects(stores.progress.get('learner-a'), (error: Error) => {
        assert.ok(error instanceof DatabaseUnavailable);
        assert.equal(error.status, 503);
        return true;
      });
    } finally {
      await stores.close();
    }
  });
});
