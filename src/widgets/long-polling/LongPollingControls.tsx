import { LONG_POLL_LIMITS } from '../../protocol/long-polling.ts';
import { formatInterval, formatMs, plural } from '../shared/format.ts';
import type { LongPollingModel } from './model.ts';
import { BURST_SIZE, HOLD, SERVER_ERROR_COUNT, SLOW } from './settings.ts';

/** The long-polling demo's controls: listen, send, the hold slider, and "Break things". `ids` prefixes the element ids. */
export function LongPollingControls({ model, ids }: { model: LongPollingModel; ids: string }) {
  const listening = model.phase.value === 'listening';
  const hold = model.holdMs.value;
  return (
    <fieldset class="widget-controls lp-controls">
      <legend class="visually-hidden">Long-polling controls</legend>
      <div class="lp-group">
        <div class="widget-row">
          <button type="button" class="widget-button widget-primary" onClick={() => model.start()} disabled={listening}>
            Start listening
          </button>
          <button type="button" class="widget-button" onClick={() => model.stop()} disabled={!listening}>
            Stop listening
          </button>
        </div>
        <div class="widget-row">
          <button type="button" class="widget-button" onClick={() => void model.send()} disabled={!listening}>
            Send a notification
          </button>
          <button type="button" class="widget-button" onClick={() => void model.sendBurst(BURST_SIZE)} disabled={!listening}>
            Send {BURST_SIZE} at once
          </button>
        </div>
      </div>

      <div class="widget-field lp-field">
        <label for={`${ids}-hold`}>Hold timeout</label>
        <div class="widget-row widget-slider">
          <input
            id={`${ids}-hold`}
            type="range"
            min={HOLD.min}
            max={HOLD.max}
            step={HOLD.step}
            value={hold}
            aria-valuetext={formatInterval(hold)}
            aria-describedby={`${ids}-hold-hint`}
            onInput={(event) => model.setHold(Number(event.currentTarget.value))}
          />
          <output for={`${ids}-hold`} class="widget-mono">
            {formatInterval(hold)}
          </output>
        </div>
        <p class="widget-hint" id={`${ids}-hold-hint`}>
          How long the server may hold a request with nothing to say (204 after that). Applies from the next request.
          {formatInterval(HOLD.initial)} to start, so a timeout comes soon; the server’s own default is{' '}
          {formatInterval(LONG_POLL_LIMITS.defaultTimeoutMs)}.
        </p>
      </div>

      <FaultButtons model={model} ids={ids} />
    </fieldset>
  );
}

/** Faults the reader arms on the server, and what is armed now. */
function FaultButtons({ model, ids }: { model: LongPollingModel; ids: string }) {
  const faults = model.faults.value;
  // A fault stays armed on the server's channel after Stop: say when it will strike.
  const whenListening = model.phase.value === 'listening' ? '' : ', once you listen again';
  return (
    <fieldset class="lp-faults">
      <legend>Break things</legend>
      <div class="widget-row">
        <button
          type="button"
          class="widget-button lp-fault"
          onClick={() => void model.loseNextResponse()}
          disabled={faults.busy}
          aria-describedby={`${ids}-loss`}
        >
          Lose the next response
        </button>
        <button
          type="button"
          class="widget-button lp-fault"
          onClick={() => void model.causeServerErrors(SERVER_ERROR_COUNT)}
          disabled={faults.busy}
          aria-describedby={`${ids}-errors`}
        >
          Cause server errors
        </button>
      </div>
      <label class="widget-check">
        <input type="checkbox" checked={faults.slow} onChange={(event) => void model.setSlow(event.currentTarget.checked)} />
        Slow network (+{formatMs(SLOW.delayMs)} per answer)
      </label>
      <ul class="lp-armed" aria-label="Armed faults">
        <li id={`${ids}-loss`} data-armed={faults.lossArmed}>
          {faults.lossArmed
            ? `Armed: the next answer with events will be lost on the way${whenListening}.`
            : 'The server takes the events, then drops the connection.'}
        </li>
        <li id={`${ids}-errors`} data-armed={faults.serverErrors > 0}>
          {faults.serverErrors > 0
            ? `Armed: ${plural(faults.serverErrors, 'more request')} will get 503${whenListening}.`
            : `The next ${SERVER_ERROR_COUNT} requests get 503 with Retry-After.`}
        </li>
      </ul>
    </fieldset>
  );
}
