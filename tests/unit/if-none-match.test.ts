import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ifNoneMatchMatches } from '../../server/techniques/short-polling.ts';

// RFC 9110 §13.1.2: If-None-Match uses the weak comparison; "*" matches any current representation.
describe('ifNoneMatchMatches', () => {
  const etag = '"abc.3"';

  const cases: [header: string | undefined, expected: boolean, why: string][] = [
    [undefined, false, 'no header: the client has no copy'],
    ['"abc.3"', true, 'the same tag'],
    ['"abc.2"', false, 'an older version'],
    ['W/"abc.3"', true, 'a weak tag with the same value (weak comparison ignores W/)'],
    ['"x", "abc.3"', true, 'a list containing the tag'],
    ['"x","y" , W/"abc.3"', true, 'a list with odd spacing'],
    ['"x", "y"', false, 'a list without the tag'],
    ['*', true, 'any current version'],
    [' * ', true, 'any current version, with spaces'],
    ['abc.3', false, 'an unquoted value is not an entity tag'],
    ['"abc', false, 'an unterminated tag'],
    ['', false, 'an empty header'],
    ['"a,b"', false, 'a tag that contains a comma is one tag, not two'],
  ];

  for (const [header, expected, why] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${JSON.stringify(header)}: ${why}`, () => {
      assert.equal(ifNoneMatchMatches(header, etag), expected);
    });
  }

  it('matches a tag containing a comma exactly', () => {
    assert.equal(ifNoneMatchMatches('"z", "a,b"', '"a,b"'), true);
  });

  it('compares a weak current tag weakly too', () => {
    assert.equal(ifNoneMatchMatches('"abc.3"', 'W/"abc.3"'), true);
  });
});
