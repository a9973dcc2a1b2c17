import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, readConfig } from '../../server/config.ts';

describe('DATABASE_URL', () => {
  it('is optional: without it the stores stay in SQLite under DATA_DIR', () => {
    assert.equal(readConfig({}).databaseUrl, undefined);
    assert.equal(readConfig({ DATABASE_URL: ' ' }).databaseUrl, undefined);
  });

  it('takes a postgres:// or postgresql:// URL as given', () => {
    for (const url of ['postgres://workbook:pw@db.internal:5432/workbook', 'postgresql://localhost/workbook']) {
      assert.equal(readConfig({ DATABASE_URL: url }).databaseUrl, url);
    }
  });

  it('refuses anything else at start, without repeating the value (it may hold a password)', () => {
    for (const url of ['mysql://root:s3cret@db/workbook', 'not a url s3cret']) {
      assert.throws(
        () => readConfig({ DATABASE_URL: url }),
        (error: Error) => error instanceof ConfigError && /DATABASE_URL/.test(error.message) && !/s3cret/.test(error.message),
      );
    }
  });
});
