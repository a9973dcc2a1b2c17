import { SSE_HEARTBEAT, SSE_RESUMING_COMMENT } from './sse.ts';
import { utf8Length } from './utf8-length.ts';

/**
 * Reads the raw text of an SSE stream the way a browser's EventSource does
 * (WHATWG HTML §9.2.6 "Interpreting an event stream"), but keeps every line,
 * so the widget's wire view can show the exact bytes with their fields
 * highlighted. Incremental: feed it chunks as they arrive, split anywhere,
 * even between the CR and LF of one line ending.
 *
 * No DOM, no timers: node:test drives it directly.
 */

/** The four fields a stream may carry; any other name is ignored by browsers. */
export type SseFieldName = 'id' | 'event' | 'data' | 'retry';

/** One complete line of the stream, classified. `bytes` counts its line ending too. */
export type WireLine =
  /** `name: value`. `known` is false for a name browsers ignore. */
  | { kind: 'field'; name: string; known: boolean; value: string; raw: string; bytes: number }
  /** `: text` — a comment, ignored by browsers; the server's heartbeats and notes. */
  | { kind: 'comment'; text: string; raw: string; bytes: number }
  /** An empty line: it dispatches the event gathered so far, if it has data (`dispatched`). */
  | { kind: 'blank'; raw: ''; bytes: number; dispatched: boolean };

/** An event as EventSource would dispatch it. */
export interface WireEvent {
  /** The `event:` field, or `message`. */
  type: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /** The last event ID after this event (the `id:` of this or an earlier event), '' if none yet. */
  lastEventId: string;
}

/** What one chunk (or the end of the stream) produced. */
export interface WireParseResult {
  lines: WireLine[];
  events: WireEvent[];
  /** The reconnection time, set when a `retry:` line made of ASCII digits came in this chunk. */
  retryMs: number | null;
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set<SseFieldName>(['id', 'event', 'data', 'retry']);

/** True for the companion server's heartbeat comment line (`: heartbeat`). */
export function isHeartbeat(line: WireLine): boolean {
  return line.kind === 'comment' && line.raw === SSE_HEARTBEAT.trimEnd();
}

/** `: resuming after Last-Event-ID 42` → 42; null for any other line. */
export function resumeIdOf(line: WireLine): number | null {
  if (line.kind !== 'comment' || !line.raw.startsWith(SSE_RESUMING_COMMENT)) return null;
  const rest = line.raw.slice(SSE_RESUMING_COMMENT.length);
  return /^\d{1,16}$/.test(rest) ? Number(rest) : null;
}

/** Splits a decoded SSE stream into lines and events; one instance per connection. */
export class WireParser {
  #buffer = '';
  /** A chunk ended with CR: if the next starts with LF, that LF belongs to the same line ending. */
  #afterCr = false;
  #firstChunk = true;
  // The event being built (§9.2.6: data buffer, event type buffer, last event ID buffer).
  #data: string[] = [];
  #type = '';
  #idBuffer = '';
  #lastEventId = '';

  /**
   * @param lastEventId the id the connection resumed from, so events without
   *   an `id:` carry it, as in a browser.
   */
  constructor(lastEventId = '') {
    this.#idBuffer = lastEventId;
    this.#lastEventId = lastEventId;
  }

  /** The last event ID string so far: what a reconnect must send. */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Text received that does not end a line yet. */
  get pending(): string {
    return this.#buffer;
  }

  /** Feeds decoded text; returns the lines it completed and the events they dispatched. */
  push(text: string): WireParseResult {
    const result: WireParseResult = { lines: [], events: [], retryMs: null };
    if (this.#firstChunk && text.length > 0) {
      this.#firstChunk = false;
      // A UTF-8 BOM may start the stream and is skipped (§9.2.5). TextDecoder drops it already.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.#afterCr) {
      this.#afterCr = false;
      // The LF completing a CRLF split across chunks ends no new line. (The line
      // before was counted with 1 byte of ending; the stream's byte total, taken
      // from the chunks, still counts this one.)
      if (text.startsWith('\n')) start = 1;
    }
    let index = start;
    while (index < text.length) {
      const char = text.charCodeAt(index);
      if (char !== 10 && char !== 13) {
        index++;
        continue;
      }
      const line = this.#buffer + text.slice(start, index);
      this.#buffer = '';
      let ending = 1;
      if (char === 13) {
        if (index + 1 < text.length) {
          if (text.charCodeAt(index + 1) === 10) ending = 2;
        } else {
          this.#afterCr = true;
        }
      }
      this.#line(line, ending, result);
      index += ending;
      start = index;
    }
    this.#buffer += text.slice(start);
    return result;
  }

  /**
   * The stream ended. A partly received event is dropped, as browsers do
   * (§9.2.6: "an incomplete event … is discarded"); returns nothing to show.
   */
  end(): void {
    this.#buffer = '';
    this.#data = [];
    this.#type = '';
    this.#afterCr = false;
  }

  #line(raw: string, endingBytes: number, result: WireParseResult): void {
    const bytes = utf8Length(raw) + endingBytes;
    let line: WireLine;
    if (raw === '') {
      line = { kind: 'blank', raw: '', bytes, dispatched: this.#dispatch(result) };
    } else if (raw.startsWith(':')) {
      line = { kind: 'comment', text: stripSpace(raw.slice(1)), raw, bytes };
    } else {
      const colon = raw.indexOf(':');
      const name = colon === -1 ? raw : raw.slice(0, colon);
      const value = colon === -1 ? '' : stripSpace(raw.slice(colon + 1));
      line = { kind: 'field', name, known: KNOWN_FIELDS.has(name), value, raw, bytes };
      this.#field(name, value, result);
    }
    result.lines.push(line);
  }

  #field(name: string, value: string, result: WireParseResult): void {
    switch (name) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        // An id containing NUL is ignored (§9.2.6), so a stream cannot plant one.
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      case 'retry':
        // Honoured only when made of ASCII digits only.
        if (/^[0-9]+$/.test(value)) result.retryMs = Number(value);
        break;
      default:
        break; // Unknown fields are ignored.
    }
  }

  /** Ends the event being built; true when it had data and so was dispatched. */
  #dispatch(result: WireParseResult): boolean {
    // The last event ID is set even when no data follows (§9.2.6 "dispatch the event", step 1).
    this.#lastEventId = this.#idBuffer;
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#type = '';
    if (data.length === 0) return false;
    result.events.push({ type: type || 'message', data: data.join('\n'), lastEventId: this.#lastEventId });
    return true;
  }
}

/** `: heartbeat` → `heartbeat`; a single leading space after the colon is not part of the value. */
function stripSpace(text: string): string {
  return text.startsWith(' ') ? text.slice(1) : text;
}
