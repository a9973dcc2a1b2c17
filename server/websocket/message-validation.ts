import { isValidChannel } from '../../src/protocol/channel.ts';
import {
  CLIENT_ID_PATTERN,
  ROOM_PATTERN,
  WS_LIMITS,
  type ClientMessage,
  type ClientMessageType,
  type WsErrorCode,
} from '../../src/protocol/websocket.ts';

/** Why a frame is not a valid client message: what the `error` message says. */
export interface MessageProblem {
  code: Extract<WsErrorCode, 'bad-json' | 'unknown-type' | 'invalid-message'>;
  message: string;
  /** The member at fault, for `invalid-message`. */
  field?: string;
}

export type ParsedMessage = { ok: true; message: ClientMessage } | { ok: false; problem: MessageProblem };

type Fields = Record<string, unknown>;
type Validator = (fields: Fields) => ClientMessage | MessageProblem;

/**
 * Lesson 5's chat names (not workshop names, see src/protocol/workshops.ts): control characters
 * (C0, DEL, C1), and the bidirectional overrides that can make a name read backwards.
 */
const CHAT_NAME_FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
/** The same in chat text, except tab and line feed: a message may have several lines. */
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

const invalid = (field: string, message: string): MessageProblem => ({ code: 'invalid-message', field, message });
const isProblem = (value: ClientMessage | MessageProblem): value is MessageProblem => 'code' in value;
const shown = (value: unknown): string => {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

function channelProblem(field: 'channel' | 'room', value: unknown): MessageProblem | undefined {
  const valid = typeof value === 'string' && (field === 'room' ? ROOM_PATTERN.test(value) : isValidChannel(value));
  if (valid) return undefined;
  return invalid(field, `${field} is ${shown(value)}; it must be 1–64 characters of A–Z a–z 0–9 _ -.`);
}

/** One validator per message type: the protocol's `ClientMessage`, checked member by member. */
const VALIDATORS: Record<ClientMessageType, Validator> = {
  subscribe: ({ channel, cursor }) => {
    const problem = channelProblem('channel', channel);
    if (problem) return problem;
    if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 0) {
      return invalid('cursor', `cursor is ${shown(cursor)}; it must be a whole number ≥ 0 (0: from the start).`);
    }
    return { type: 'subscribe', channel: channel as string, cursor };
  },
  unsubscribe: ({ channel }) => channelProblem('channel', channel) ?? { type: 'unsubscribe', channel: channel as string },
  join: ({ room, name }) => {
    const problem = channelProblem('room', room);
    if (problem) return problem;
    if (typeof name !== 'string') return invalid('name', `name is ${shown(name)}; it must be a string.`);
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > WS_LIMITS.maxNameLength) {
      return invalid('name', `name must be 1–${WS_LIMITS.maxNameLength} characters once trimmed.`);
    }
    if (CHAT_NAME_FORBIDDEN.test(trimmed) || !trimmed.isWellFormed()) {
      return invalid('name', 'name must not contain control characters.');
    }
    return { type: 'join', room: room as string, name: trimmed };
  },
  leave: () => ({ type: 'leave' }),
  message: ({ text, clientId }) => {
    if (typeof text !== 'string') return invalid('text', `text is ${shown(text)}; it must be a string.`);
    if (text.trim().length < 1 || text.length > WS_LIMITS.maxTextLength) {
      return invalid('text', `text must be 1–${WS_LIMITS.maxTextLength} characters and not only spaces.`);
    }
    if (TEXT_FORBIDDEN.test(text) || !text.isWellFormed()) {
      return invalid('text', 'text must not contain control characters (tab and line feed are fine).');
    }
    if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId)) {
      return invalid(
        'clientId',
        `clientId is ${shown(clientId)}; it must be 1–${WS_LIMITS.maxClientIdLength} characters of A–Z a–z 0–9 _ - (a UUID fits).`,
      );
    }
    return { type: 'message', text, clientId };
  },
  typing: ({ typing }) =>
    typeof typing === 'boolean' ? { type: 'typing', typing } : invalid('typing', `typing is ${shown(typing)}; it must be true or false.`),
  simulate: ({ fault }) =>
    fault === 'drop' || fault === 'restart'
      ? { type: 'simulate', fault }
      : invalid('fault', `fault is ${shown(fault)}; it must be "drop" or "restart".`),
};

/** The message types a client may send, in the order the docs list them. */
export const CLIENT_MESSAGE_TYPES = Object.keys(VALIDATORS) as ClientMessageType[];

// #region validate
/**
 * Parses one incoming frame into a {@link ClientMessage}. Members the protocol
 * does not define are ignored (a newer client may send more); every defined
 * member is checked, and a problem names the first one at fault.
 *
 * @param data the frame's payload; `ws` has already checked that a text frame is valid UTF-8 (else 1007).
 * @param isBinary binary frames are not part of the protocol.
 */
export function parseClientMessage(data: Buffer | string, isBinary: boolean): ParsedMessage {
  if (isBinary) {
    return {
      ok: false,
      problem: { code: 'invalid-message', message: 'Binary frames are not part of this protocol; send JSON text.' },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'unreadable';
    return { ok: false, problem: { code: 'bad-json', message: `The message is not valid JSON: ${reason}.` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      problem: invalid('type', `A message must be a JSON object with a "type", not ${shown(value)}.`),
    };
  }
  const fields = value as Fields;
  if (typeof fields.type !== 'string') {
    return { ok: false, problem: invalid('type', `type is ${shown(fields.type)}; it must be a string.`) };
  }
  if (!Object.hasOwn(VALIDATORS, fields.type)) {
    return {
      ok: false,
      problem: {
        code: 'unknown-type',
        message: `Unknown message type ${shown(fields.type)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}.`,
      },
    };
  }
  const result = VALIDATORS[fields.type as ClientMessageType](fields);
  return isProblem(result) ? { ok: false, problem: result } : { ok: true, message: result };
}
// #endregion validate
