import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hintButtonLabel, nextHintCount, visibleHints } from '../../src/exercises/hint-ladder.ts';

const hints = ['gentle', 'closer', 'explicit'];

describe('the hint ladder', () => {
  it('shows one more hint per press, in order, and stops at the last', () => {
    let shown = 0;
    const seen: (readonly string[])[] = [];
    for (let press = 0; press < 5; press += 1) {
      shown = nextHintCount(hints, shown);
      seen.push(visibleHints(hints, shown));
    }
    assert.deepEqual(seen, [['gentle'], ['gentle', 'closer'], hints, hints, hints]);
  });

  it('says what the next press gives, then that all are shown', () => {
    assert.equal(hintButtonLabel(hints, 0), 'Show a hint (1 of 3)');
    assert.equal(hintButtonLabel(hints, 2), 'Show a hint (3 of 3)');
    assert.equal(hintButtonLabel(hints, 3), 'All 3 hints shown');
  });

  it('reads a stored count out of range as the nearest sensible one', () => {
    assert.deepEqual(visibleHints(hints, -2), []);
    assert.deepEqual(visibleHints(hints, 9), hints);
    assert.equal(nextHintCount(hints, -4), 1);
  });
});
