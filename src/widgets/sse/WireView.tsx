import { formatBytes } from '../shared/format.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { WIRE_MAX_LINES, type WireEntry } from './wire-log.ts';
import type { WireLine } from '../../protocol/sse-wire-parser.ts';

/**
 * The raw stream as the wire view's fetch reader received it, line by line,
 * with the field names highlighted and each line's size in bytes (its line
 * ending included). The text is shown exactly; `↵` marks a line ending.
 */
export function WireView({ entries, bytes, open }: { entries: readonly WireEntry[]; bytes: number; open: boolean }) {
  const scroller = useStickToEnd<HTMLDivElement>(entries.at(-1)?.seq ?? 0);

  return (
    <figure class="sse-pane sse-wire">
      <figcaption class="sse-pane-caption">
        <span>
          Wire view <span class="widget-hint">(a second reader: fetch() of the same URL)</span>
        </span>
        <span class="widget-hint widget-mono">
          {formatBytes(bytes)} · {open ? 'reading' : 'not connected'}
        </span>
      </figcaption>
      <div
        class="sse-scroll sse-wire-lines widget-mono"
        ref={scroller.ref}
        role="region"
        aria-label="Raw bytes of the stream"
        tabIndex={0}
        onScroll={scroller.onScroll}
      >
        {entries.length === 0 ? (
          <p class="sse-empty">The bytes of the stream will appear here once it opens (“Start build” opens it).</p>
        ) : (
          entries.map((entry) =>
            entry.kind === 'note' ? (
              <div key={entry.seq} class="sse-wl sse-wl-note">
                {entry.text}
              </div>
            ) : (
              <WireLineView key={entry.seq} line={entry.line} />
            ),
          )
        )}
      </div>
      <p class="widget-hint">
        Keeps the last {WIRE_MAX_LINES} lines. <span class="sse-f sse-f-id">id</span> <span class="sse-f sse-f-event">event</span>{' '}
        <span class="sse-f sse-f-data">data</span> <span class="sse-f sse-f-retry">retry</span> <span class="sse-f-comment">: comment</span>{' '}
        · ↵ ends a line; an empty line dispatches the event above it.
      </p>
    </figure>
  );
}

function WireLineView({ line }: { line: WireLine }) {
  const size = <span class="sse-wl-bytes">{line.bytes} B</span>;
  if (line.kind === 'blank') {
    return (
      <div class="sse-wl sse-wl-blank">
        {size}
        <span class="sse-wl-text">
          <span class="sse-eol">↵</span>
          <span class="sse-wl-explain">{line.dispatched ? ' end of event' : ' blank line (no data: nothing to dispatch)'}</span>
        </span>
      </div>
    );
  }
  if (line.kind === 'comment') {
    return (
      <div class="sse-wl">
        {size}
        <span class="sse-wl-text">
          <span class="sse-f-comment">{line.raw}</span>
          <span class="sse-eol">↵</span>
        </span>
      </div>
    );
  }
  const field = line.known ? line.name : 'unknown';
  return (
    <div class="sse-wl">
      {size}
      <span class="sse-wl-text">
        <span class={`sse-f sse-f-${field}`}>{line.name}</span>
        {line.raw.slice(line.name.length)}
        <span class="sse-eol">↵</span>
      </span>
    </div>
  );
}
