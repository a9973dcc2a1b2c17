import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { readCookie } from '../../server/http/cookies.ts';

const withCookie = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

describe('readCookie', () => {
  it('finds a cookie among others, the first when sent twice, unquoted', () => {
    assert.equal(readCookie(withCookie('a=1; rtw=x; b=2'), 'rtw'), 'x');
    assert.equal(readCookie(withCookie('rtw=specific; rtw=general'), 'rtw'), 'specific');
    assert.equal(readCookie(withCookie('rtw="quoted"'), 'rtw'), 'quoted');
    assert.equal(readCookie(withCookie(' rtw = spaced '), 'rtw'), 'spaced');
  });

  it('is undefined when absent, also for a name that only starts the same', () => {
    assert.equal(readCookie(withCookie(), 'rtw'), undefined);
    assert.equal(readCookie(withCookie('rtw_other=1; nonsense'), 'rtw'), undefined);
  });
});
