import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_INPUTS,
  HEARTBEAT,
  STEPS,
  emptyPollShare,
  formatBytes,
  formatCount,
  formatSeconds,
  formatShare,
  freshnessCost,
  nearestStep,
  pollingCost,
  pushCost,
  type FreshnessInputs,
} from '../../../src/widgets/why-real-time/freshness-cost.ts';

const thousandReaders: FreshnessInputs = {
  readers: 1_000,
  intervalSeconds: 2,
  eventsPerHour: 60,
  requestBytes: 700,
  responseBytes: 180,
  pushMessageBytes: 70,
};

describe('polling cost', () => {
  it('counts one request per reader per interval', () => {
    const cost = pollingCost(thousandReaders);
    assert.equal(cost.requestsPerHour, 1_800_000);
    assert.equal(cost.bytesPerHour, 1_800_000 * 880);
  });

  it('puts average staleness at half the interval and the worst at a whole one', () => {
    const cost = pollingCost({ ...thousandReaders, intervalSeconds: 5 });
    assert.equal(cost.averageStalenessSeconds, 2.5);
    assert.equal(cost.worstStalenessSeconds, 5);
  });

  it('keeps requests × average staleness constant: halving one doubles the other', () => {
    for (const intervalSeconds of [0.25, 1, 5, 60]) {
      const cost = pollingCost({ ...thousandReaders, readers: 1, intervalSeconds });
      assert.equal(cost.requestsPerHour * cost.averageStalenessSeconds, 1_800);
    }
  });

  it('refuses an interval that is not positive', () => {
    assert.throws(() => pollingCost({ ...thousandReaders, intervalSeconds: 0 }), RangeError);
  });
});

describe('share of empty polls', () => {
  it('is everything when nothing ever changes', () => {
    assert.equal(emptyPollShare(0, 5), 1);
  });

  it('is about 1 − interval/period when changes are rare', () => {
    // One change a minute, a poll every 2 s: roughly 29 polls in 30 find nothing.
    const share = emptyPollShare(60, 2);
    assert.ok(Math.abs(share - Math.exp(-2 / 60)) < 1e-12);
    assert.ok(share > 0.96 && share < 0.97);
  });

  it('falls towards zero when changes outpace polls', () => {
    assert.ok(emptyPollShare(3_600, 60) < 1e-20);
  });
});

describe('push cost', () => {
  it('sends one message per event per reader, plus heartbeats', () => {
    const cost = pushCost(thousandReaders);
    assert.equal(cost.messagesPerHour, 60_000);
    assert.equal(cost.heartbeatsPerHour, 1_000 * (3_600 / HEARTBEAT.everySeconds));
    assert.equal(cost.bytesPerHour, 60_000 * 70 + cost.heartbeatsPerHour * HEARTBEAT.bytes);
    assert.equal(cost.openConnections, 1_000);
  });

  it('still costs heartbeats when nothing happens', () => {
    const cost = pushCost({ ...thousandReaders, eventsPerHour: 0 });
    assert.equal(cost.messagesPerHour, 0);
    assert.ok(cost.bytesPerHour > 0);
  });
});

describe('freshness cost', () => {
  it('compares polling bytes with push bytes', () => {
    const cost = freshnessCost(thousandReaders);
    assert.equal(cost.bytesRatio, cost.polling.bytesPerHour / cost.push.bytesPerHour);
    assert.ok(cost.bytesRatio > 100, 'polling every 2 s for a change a minute costs far more');
  });

  it('has defaults that sit on the slider steps', () => {
    assert.equal(STEPS.readers[nearestStep(STEPS.readers, DEFAULT_INPUTS.readers)], DEFAULT_INPUTS.readers);
    assert.equal(STEPS.intervalSeconds[nearestStep(STEPS.intervalSeconds, DEFAULT_INPUTS.intervalSeconds)], DEFAULT_INPUTS.intervalSeconds);
    assert.equal(STEPS.eventsPerHour[nearestStep(STEPS.eventsPerHour, DEFAULT_INPUTS.eventsPerHour)], DEFAULT_INPUTS.eventsPerHour);
  });
});

describe('formatting', () => {
  it('writes bytes in decimal units with three significant digits', () => {
    assert.equal(formatBytes(680), '680 B');
    assert.equal(formatBytes(999.6), '1 kB');
    assert.equal(formatBytes(1_584_000_000), '1.58 GB');
    assert.equal(formatBytes(4_200_000), '4.2 MB');
    assert.equal(formatBytes(Infinity), '∞');
  });

  it('writes counts with k and M', () => {
    assert.equal(formatCount(950), '950');
    assert.equal(formatCount(12_300), '12.3 k');
    assert.equal(formatCount(1_800_000), '1.8 M');
  });

  it('writes durations in ms, s or min', () => {
    assert.equal(formatSeconds(0.25), '250 ms');
    assert.equal(formatSeconds(2.5), '2.5 s');
    assert.equal(formatSeconds(150), '2.5 min');
  });

  it('never rounds a share that is not 0 or 1 to 0 % or 100 %', () => {
    assert.equal(formatShare(1), '100 %');
    assert.equal(formatShare(0), '0 %');
    assert.equal(formatShare(0.9835), '98 %');
    assert.equal(formatShare(0.9987), '99.8 %');
    assert.equal(formatShare(0.99999), '> 99.9 %');
    assert.equal(formatShare(0.0046), '0.5 %');
    assert.equal(formatShare(0.00004), '< 0.1 %');
  });
});
