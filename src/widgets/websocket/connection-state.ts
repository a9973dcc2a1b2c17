import { closeCodeName, explainClose } from './close-codes.ts';

/** What the UI shows about the connection. */
export type ConnectionState =
  /** `connect()` not called yet. */
  | { status: 'idle' }
  /** Opening handshake under way; `attempt` is 0 for the first connection, k for the k-th retry. */
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  /** Waiting `delayMs` before retry number `attempt` (1-based), due at `at` (client clock). */
  | { status: 'reconnecting'; attempt: number; delayMs: number; at: number }
  /** Simulated loss of network: no connection until `until` (client clock). */
  | { status: 'offline'; until: number }
  /** Not reconnecting by itself; `reason` says why. `ReconnectingSocket.connect` opens it again. */
  | { status: 'closed'; reason: string };

export type ConnectionStatus = ConnectionState['status'];

/** How the last connection ended. */
export interface CloseInfo {
  code: number;
  /** `1012` → `Service Restart`. */
  name: string;
  /** The close frame's reason text, if any. */
  reason: string;
  /** False when no close frame was exchanged (1006: the connection just died). */
  wasClean: boolean;
  /** Who ended it: this client (close, going offline), the server (a close frame), or the network (none). */
  by: 'client' | 'server' | 'network';
  /** One sentence for the reader, including what happens next. */
  explanation: string;
  /** Whether the client reconnects by itself. */
  retried: boolean;
  at: number;
}

/** The {@link CloseInfo} of a close with `code`, named and explained (close-codes.ts). */
export function closeInfo(code: number, facts: Pick<CloseInfo, 'reason' | 'wasClean' | 'by' | 'retried' | 'at'>): CloseInfo {
  return { code, name: closeCodeName(code), explanation: explainClose(code), ...facts };
}
