import { SCALING_INSTANCES, type InstanceName, type PresenceKey, type PresenceView } from '../../protocol/scaling.ts';
import { formatMs } from '../shared/format.ts';
import { remainingMs, type GoneKey } from './presence-keys.ts';

export interface PresencePanelProps {
  presence: PresenceView;
  /** When the view was read (this page's clock), and now: the TTLs count down in between. */
  readAt: number;
  now: number;
  gone: readonly GoneKey[];
}

/**
 * The demo's chat room as Redis and each instance hold it: every presence
 * key with its TTL counting down (from PTTL and the sorted-set index, never
 * KEYS), the keys that left, and the member list each instance sends.
 */
export function PresencePanel({ presence, readAt, now, gone }: PresencePanelProps) {
  return (
    <section class="widget-card scale-presence" aria-label="Presence in the room">
      <div class="widget-card-head">
        <span class="widget-card-title">
          Presence in room <span class="widget-mono">{presence.room}</span>
        </span>
        <span class="widget-hint">
          heartbeat every {formatMs(presence.heartbeatMs)}, TTL {formatMs(presence.ttlMs)}
        </span>
      </div>
      {presence.keys === null ? (
        <p class="widget-hint scale-no-keys">
          No backplane: nothing is in Redis. Each instance keeps its own room in memory, so each member sees only the members of its own
          instance.
        </p>
      ) : (
        <KeyTable keys={presence.keys} gone={gone} ttlMs={presence.ttlMs} readAt={readAt} now={now} indexKey={presence.indexKey} />
      )}
      <ul class="scale-lists" aria-label="Member lists">
        {SCALING_INSTANCES.map((name) => (
          <MemberList key={name} name={name} list={presence.lists[name]} />
        ))}
      </ul>
    </section>
  );
}

function KeyTable(props: {
  keys: readonly PresenceKey[];
  gone: readonly GoneKey[];
  ttlMs: number;
  readAt: number;
  now: number;
  indexKey: string | null;
}) {
  const { keys, gone, ttlMs, readAt, now } = props;
  const rows = [...keys.map((key) => ({ key, gone: false })), ...gone.map((key) => ({ key, gone: true }))];
  return (
    <>
      <div class="scale-table-scroll" role="region" aria-label="Presence keys" tabIndex={0}>
        <table class="scale-keys">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">TTL left</th>
              <th scope="col">Key</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={3} class="widget-hint">
                  The index is empty.
                </td>
              </tr>
            )}
            {rows.map(({ key, gone: left }) => {
              const leftMs = left ? -2 : remainingMs(key.pttlMs, readAt, now);
              const state = left ? 'gone' : leftMs < 0 ? 'expired' : 'live';
              const share = leftMs > 0 ? Math.min(100, (leftMs / ttlMs) * 100) : 0;
              return (
                <tr
                  key={`${key.memberId}-${left ? 'gone' : 'live'}`}
                  class={`scale-key scale-key-${state}`}
                  data-member={key.name ?? ''}
                  data-key-state={state}
                >
                  <td>{key.name ?? '(key gone)'}</td>
                  <td>
                    <span class="scale-ttl">
                      <span class="scale-ttl-bar" aria-hidden="true">
                        <span class="scale-ttl-fill" style={{ width: `${share}%` }} />
                      </span>
                      <span class="widget-mono">{ttlText(state, leftMs)}</span>
                    </span>
                  </td>
                  <td class="widget-mono scale-key-name">{shortKey(key.key)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="widget-hint">
        Read with one <code>ZRANGE</code> of the index <span class="widget-mono">{props.indexKey ? shortKey(props.indexKey) : ''}</span> and
        a <code>PTTL</code> per member, never <code>KEYS</code>. A key at <code>-2</code> has expired; the index keeps its member until an
        instance re-reads the room and prunes it.
      </p>
    </>
  );
}

function ttlText(state: 'live' | 'expired' | 'gone', ms: number): string {
  if (state === 'gone') return 'left the index';
  if (state === 'expired') return 'expired (PTTL -2)';
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `demo-1a2b3c4d:chat:{lobby}:member:…` without the demo's prefix, and a member id cut short. */
function shortKey(key: string): string {
  const at = key.indexOf('chat:');
  const name = at >= 0 ? key.slice(at) : key;
  return name.replace(/(member:)([0-9a-f-]{8})[0-9a-f-]+$/, '$1$2…');
}

function MemberList({ name, list }: { name: InstanceName; list: string[] | null }) {
  // A Redis member list comes in its index's order (by key expiry), which changes with every renewal:
  // sorted by name, A's and B's lists can be compared at a glance.
  const names = list && [...list].sort((x, y) => x.localeCompare(y));
  return (
    <li class="scale-list" data-list={name}>
      <span class="scale-list-name">{name.toUpperCase()}’s member list:</span>{' '}
      {names === null ? (
        <span class="widget-hint">no member connected</span>
      ) : (
        <span class="widget-mono">{names.length ? names.join(', ') : '(empty)'}</span>
      )}
    </li>
  );
}
