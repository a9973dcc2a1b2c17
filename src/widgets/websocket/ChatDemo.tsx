import { useEffect, useId, useState } from 'preact/hooks';
import { WS_LIMITS } from '../../protocol/websocket.ts';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatBytes } from '../shared/format.ts';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { useNow } from '../shared/use-now.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { createChatDemo, type ChatDemoModel } from './chat-demo.ts';
import { EXERCISE, type ExerciseCheck } from './chat-exercise.ts';
import type { ChatItem } from './chat-items.ts';
import { badgeLabel, describeConnection, describeCountdown, describeFlood, describeTyping } from './chat-text.ts';
import { FLOOD_COUNT } from './flood.ts';
import { OFFLINE_MS, type ChatPane, type PaneId } from './model.ts';
import type { FrameRecord, TrafficTotals } from './frame-log.ts';
import type { HelloMessage } from './reconnecting-socket.ts';
import { chosenRoom, inviteLink } from './room.ts';
import '../../styles/widget.css';
import './ChatDemo.css';

export interface ChatDemoProps {
  /** Tells apart several demos on one page: each keeps its own room. */
  instance?: string;
}

/**
 * Lesson 5's live demo: two chat panes, each with its own real WebSocket, in
 * one room. The reader breaks things (kill a socket, go offline, flood,
 * restart the server side) and watches reconnect, resume and the outbox keep
 * every message exactly once. It renders only; state lives in model.ts, the
 * socket in reconnecting-socket.ts. Used from MDX as `<ChatDemo client:reachable />`.
 */
export default function ChatDemo({ instance = 'default' }: ChatDemoProps) {
  const [model] = useState(() => createDemo());
  // The room lives in sessionStorage (or an invite link) and the sockets need a page: both only after mount.
  const [invite, setInvite] = useState<string | null>(null);
  useEffect(() => {
    const room = chosenRoom(location.search, instance);
    model.start(room);
    setInvite(inviteLink(location, room));
    return () => model.dispose();
  }, [model, instance]);

  const ticking = model.panes.some((pane) => {
    const status = pane.socket.state.value.status;
    return status === 'reconnecting' || status === 'offline';
  });
  const now = useNow(ticking, 200);
  const doneBefore = useDoneBefore(EXERCISE);

  return (
    <section class="widget wsc" data-widget="websocket" aria-label="WebSocket chat demo">
      <div class="wsc-top">
        <p class="wsc-intro">
          Two panes, two real WebSockets, one room{' '}
          <span class="widget-mono" data-room={model.room.value ?? ''}>
            {model.room.value ?? '…'}
          </span>
          . Join in both, chat, then break things.
          {invite && (
            <>
              {' '}
              To chat from another window or device, open{' '}
              <a href={invite} data-invite-link>
                this room’s invite link
              </a>
              .
            </>
          )}
        </p>
        <fieldset class="wsc-shared">
          <legend class="visually-hidden">Both panes</legend>
          <button type="button" class="widget-button" onClick={() => model.restart()} disabled={!model.canRestart.value}>
            Restart the server side
          </button>
          <p class="widget-hint">
            Closes every socket in this room with 1012 Service Restart. Both reconnect after a random wait (full jitter), so they do not
            come back at the same instant.
          </p>
        </fieldset>
      </div>

      <div class="wsc-panes">
        {model.panes.map((pane) => (
          <Pane key={pane.id} pane={pane} now={now} />
        ))}
      </div>

      <Exercise
        check={model.exercise.value}
        done={model.exerciseDone.value || doneBefore}
        nameOf={(id) => model.panes.find((pane) => pane.id === id)!.displayName.value}
      />
    </section>
  );
}

function createDemo(): ChatDemoModel {
  return createChatDemo({ onExerciseComplete: () => markExerciseDone(EXERCISE.lesson, EXERCISE.id) });
}

function Pane({ pane, now }: { pane: ChatPane; now: number }) {
  const socket = pane.socket;
  const state = socket.state.value;
  const status = state.status;
  const joined = pane.joinWanted.value;
  const inRoom = socket.inRoom.value;
  const outbox = socket.outbox.value;
  const typing = describeTyping(pane.typingNames.value);
  const countdown = now ? describeCountdown(state, now) : '';

  return (
    <section class="widget-card wsc-pane" data-pane={pane.id} aria-label={`${pane.displayName.value}'s chat`}>
      <div class="widget-card-head">
        <span class="wsc-pane-title">{pane.displayName.value}</span>
        <span class={`widget-badge wsc-badge-${status}`} data-connection-state={status}>
          <span class="widget-dot" aria-hidden="true" />
          {badgeLabel(state)}
          {countdown && (
            <span class="wsc-countdown widget-mono" aria-hidden="true">
              {countdown}
            </span>
          )}
        </span>
      </div>
      <p class="wsc-status" role="status">
        {describeConnection(state, socket.lastClose.value)}
      </p>

      <Presence pane={pane} />
      <JoinField pane={pane} inRoom={inRoom} />

      <MessageList items={pane.items.value} />

      <p class="wsc-typing" data-typing={typing ? 'true' : 'false'} aria-live="polite">
        {typing}
      </p>

      <Composer pane={pane} joined={joined} />
      <p class="wsc-outbox widget-hint" data-outbox={outbox.length}>
        {outbox.length === 0
          ? 'Outbox empty: every message acknowledged.'
          : `Outbox: ${outbox.length} waiting for an ack; ${inRoom ? 'sent, waiting for the server.' : 'they go with the same clientId once the socket is back.'}`}
      </p>
      {pane.notice.value && (
        <p class="widget-error wsc-notice" role="alert">
          {pane.notice.value}
        </p>
      )}

      <Faults pane={pane} />

      <Handshake hello={socket.hello.value} />
      <FrameLog frames={socket.frames.value} totals={socket.totals.value} />
    </section>
  );
}

/** The name field and Join, or who the pane is in the room as, and Leave. */
function JoinField({ pane, inRoom }: { pane: ChatPane; inRoom: boolean }) {
  const ids = useId();
  const joined = pane.joinWanted.value;
  return (
    <fieldset class="wsc-join">
      <legend class="visually-hidden">Join the room</legend>
      {joined ? (
        <div class="widget-row">
          <span class="widget-hint">
            {inRoom ? `In the room as ${pane.displayName.value}.` : `Joining as ${pane.displayName.value} whenever connected.`}
          </span>
          <button type="button" class="widget-button wsc-small" onClick={() => pane.leave()}>
            Leave
          </button>
        </div>
      ) : (
        <div class="widget-row">
          <label for={`${ids}-name`}>Name</label>
          <input
            id={`${ids}-name`}
            type="text"
            class="widget-input wsc-input wsc-name"
            value={pane.name.value}
            maxLength={WS_LIMITS.maxNameLength}
            autoComplete="off"
            onInput={(event) => (pane.name.value = event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') pane.join();
            }}
          />
          <button type="button" class="widget-button widget-primary" onClick={() => pane.join()}>
            Join
          </button>
        </div>
      )}
    </fieldset>
  );
}

/** The message field and Send; each keystroke drives the typing indicator the others see. */
function Composer({ pane, joined }: { pane: ChatPane; joined: boolean }) {
  const ids = useId();
  const [text, setText] = useState('');
  const send = () => {
    if (pane.send(text)) setText('');
  };
  return (
    <fieldset class="wsc-composer">
      <legend class="visually-hidden">Write a message</legend>
      <label for={`${ids}-message`} class="visually-hidden">
        Message
      </label>
      <input
        id={`${ids}-message`}
        type="text"
        class="widget-input wsc-input"
        placeholder={joined ? 'Say something' : 'Join first'}
        value={text}
        maxLength={WS_LIMITS.maxTextLength}
        autoComplete="off"
        onInput={(event) => {
          setText(event.currentTarget.value);
          pane.input(event.currentTarget.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter') send();
        }}
      />
      <button type="button" class="widget-button widget-primary" onClick={send} disabled={!joined}>
        Send
      </button>
    </fieldset>
  );
}

/** "Break it": kill the socket, go offline, flood; and the flood's report. */
function Faults({ pane }: { pane: ChatPane }) {
  const socket = pane.socket;
  const status = socket.state.value.status;
  const inRoom = socket.inRoom.value;
  const flood = pane.flood.value;
  const limits = socket.hello.value?.limits ?? WS_LIMITS;
  return (
    <>
      <fieldset class="wsc-faults">
        <legend class="wsc-legend">Break it</legend>
        <div class="widget-row">
          <button type="button" class="widget-button" onClick={() => pane.kill()} disabled={status !== 'open'}>
            Kill my socket
          </button>
          <button
            type="button"
            class="widget-button"
            onClick={() => pane.goOffline(OFFLINE_MS)}
            disabled={status === 'offline' || status === 'idle'}
          >
            Go offline for 10 s
          </button>
          <button type="button" class="widget-button" onClick={() => pane.sendFlood(FLOOD_COUNT)} disabled={!inRoom}>
            Flood
          </button>
          {status === 'closed' && (
            <button type="button" class="widget-button widget-primary" onClick={() => pane.reconnect()}>
              Reconnect
            </button>
          )}
        </div>
        <p class="widget-hint">
          Kill: the server cuts the socket with no close frame (you see 1006). Offline: the pane closes its socket and stays away for 10 s.
          Flood: {FLOOD_COUNT} messages at once, more than the server’s burst of {limits.burst}.
        </p>
      </fieldset>
      {flood && (
        <div class="wsc-flood" data-flood-done={flood.done ? 'true' : 'false'}>
          <p role="status">{describeFlood(flood, limits)}</p>
          <p class="wsc-warn">
            Don’t keep at it: each flood earns about {FLOOD_COUNT - limits.burst} refusals, and more than {limits.abuseThreshold} within{' '}
            {limits.abuseWindowMs / 1000} s get the socket closed with 1008 Policy Violation. A second flood right away is enough. After a
            1008 this client does not reconnect by itself: it would only be thrown out again.
          </p>
        </div>
      )}
    </>
  );
}

function Presence({ pane }: { pane: ChatPane }) {
  const me = pane.me.value;
  const members = pane.members.value;
  return (
    <div class="wsc-presence">
      <span class="wsc-presence-label" aria-hidden="true">
        In the room:
      </span>
      <ul class="wsc-members" aria-label="In the room">
        {members.map((member) => (
          <li key={member.id} data-member={member.name}>
            <span class="wsc-dot" aria-hidden="true" />
            {member.name}
            {member.id === me?.id ? ' (you)' : ''}
          </li>
        ))}
      </ul>
      {members.length === 0 && <span class="widget-hint">{pane.joinWanted.value ? 'nobody known (not connected)' : 'not joined'}</span>}
    </div>
  );
}

function MessageList({ items }: { items: readonly ChatItem[] }) {
  const scroller = useStickToEnd<HTMLUListElement>(items);

  return (
    <div class="wsc-messages-box">
      <ul class="wsc-messages" aria-label="Messages" ref={scroller.ref} tabIndex={0} onScroll={scroller.onScroll}>
        {items.map((item) => (
          <li
            key={item.key}
            class={`wsc-message${item.own ? ' wsc-own' : ''}`}
            data-delivery={item.delivery ?? undefined}
            data-message-id={item.id ?? undefined}
            data-client-id={item.clientId}
          >
            <span class="wsc-from">{item.from}</span>
            <span class="wsc-text">{item.text}</span>
            {item.delivery && (
              <span class={`wsc-tick wsc-tick-${item.delivery}`}>{item.delivery === 'delivered' ? '✓ delivered' : 'sending'}</span>
            )}
          </li>
        ))}
      </ul>
      {items.length === 0 && <p class="wsc-empty">No messages yet.</p>}
    </div>
  );
}

function Handshake({ hello }: { hello: HelloMessage | null }) {
  return (
    <details class="wsc-details">
      <summary>Handshake</summary>
      {hello ? (
        <div class="wsc-handshake">
          <p class="widget-hint">
            The HTTP/1.1 Upgrade that opened this socket, as the server saw and answered it (RFC 6455 §4). After the 101, the same TCP
            connection carries frames, not HTTP.
          </p>
          <figure class="wsc-figure">
            <figcaption>Request (browser → server)</figcaption>
            <pre class="wsc-pre">{['GET /ws HTTP/1.1', ...headerLines(hello.handshake.request)].join('\n')}</pre>
          </figure>
          <figure class="wsc-figure">
            <figcaption>Response (server → browser)</figcaption>
            <pre class="wsc-pre">{['HTTP/1.1 101 Switching Protocols', ...headerLines(hello.handshake.response)].join('\n')}</pre>
          </figure>
          <p class="widget-hint">
            Connection {hello.connectionId}; the server pings every {Math.round(hello.heartbeatMs / 1000)} s. Pings and pongs are control
            frames the browser answers itself: scripts never see them.
          </p>
        </div>
      ) : (
        <p class="widget-hint">It appears with the server’s first message (hello).</p>
      )}
    </details>
  );
}

function headerLines(headers: Record<string, string>): string[] {
  return Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
}

function FrameLog({ frames, totals }: { frames: readonly FrameRecord[]; totals: TrafficTotals }) {
  const newestFirst = [...frames].reverse();
  return (
    <details class="wsc-details">
      <summary>
        Frame log{' '}
        <span class="widget-hint">
          ({totals.framesUp} ↑ {formatBytes(totals.bytesUp)}, {totals.framesDown} ↓ {formatBytes(totals.bytesDown)})
        </span>
      </summary>
      <p class="widget-hint">
        Newest first, the last {frames.length}. Bytes are the payload (the JSON, UTF-8). On the wire each frame adds a 2–14 B header: 2 B up
        to 125 B of payload, 4 B up to 64 KiB, 10 B beyond, plus a 4-byte mask on frames the browser sends (RFC 6455 §5.2). Header bytes so
        far: {formatBytes(totals.headerBytesUp)} ↑, {formatBytes(totals.headerBytesDown)} ↓.
      </p>
      <ol class="wsc-frames" aria-label="Frames, newest first" tabIndex={0}>
        {newestFirst.map((frame) => (
          <li key={frame.seq} class={`wsc-frame wsc-frame-${frame.direction}`} data-direction={frame.direction} data-type={frame.type}>
            <span class="wsc-frame-line">
              <span class="wsc-arrow" aria-hidden="true">
                {frame.type === 'lost' ? '×' : frame.direction === 'up' ? '↑' : '↓'}
              </span>
              <span class="visually-hidden">{frame.direction === 'up' ? 'sent' : 'received'}</span>
              <span class="wsc-frame-type">{frame.type}</span>
              <span class="widget-mono">{frame.type === 'lost' ? 'no frame' : `${frame.bytes} B + ${frame.headerBytes} B`}</span>
              <span class="widget-mono wsc-frame-time">{formatClock(frame.at)}</span>
            </span>
            <code class="wsc-frame-text">{frame.text}</code>
          </li>
        ))}
      </ol>
    </details>
  );
}

/** `14:03:07.412`, local time (frames exist only after hydration, so no server/client mismatch). */
function formatClock(at: number): string {
  const date = new Date(at);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function Exercise({ check, done, nameOf }: { check: ExerciseCheck; done: boolean; nameOf: (id: PaneId) => string }) {
  const sent = check.sentWhileOffline;
  return (
    <ExerciseBox title="exactly once, even offline" done={done}>
      <p>
        <strong>Exercise: exactly once, even offline.</strong> Join in both panes. In one pane, press “Go offline for 10 s” and send at
        least {EXERCISE.minMessages} messages while it is offline: they wait in the outbox (“sending”). When the socket comes back, the
        outbox sends them again with the same clientId. The exercise passes when the other pane has each of them exactly once.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem state={check.wentOffline ? 'met' : 'pending'}>
          Went offline{check.pane && check.wentOffline ? ` (${nameOf(check.pane)}’s pane)` : ''}.
        </ExerciseCheckItem>
        <ExerciseCheckItem state={sent >= EXERCISE.minMessages ? 'met' : 'pending'}>
          Sent while offline: {sent} of at least {EXERCISE.minMessages}.
        </ExerciseCheckItem>
        <ExerciseCheckItem state={check.passed ? 'met' : check.duplicates > 0 ? 'missed' : 'pending'}>
          {sent === 0
            ? 'Each delivered exactly once to the other pane.'
            : `Back online and acknowledged: ${check.back ? `${check.acked} of ${sent}` : 'not yet'}; in the other pane exactly once: ${check.deliveredOnce} of ${sent}${check.duplicates ? `; duplicated: ${check.duplicates}` : ''}.`}
        </ExerciseCheckItem>
      </ul>
    </ExerciseBox>
  );
}
