import type { ChannelEvent } from '../../src/protocol/events.ts';
import { HOST_EVENTS, type HostWorkshop, type MemberView } from '../../src/protocol/workshops.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { SseStream } from '../techniques/sse-streams.ts';
import type { OpenStream } from './live-state.ts';

/** One learner stream open on this instance. */
interface LearnerStream {
  memberId: string;
  streamId: string;
  stream: SseStream;
}

/** The learner streams of one workshop open here, and the subscription that ends them. */
interface WorkshopStreams {
  streams: Set<LearnerStream>;
  unsubscribe: () => void;
}

/**
 * The learner streams open on this instance, by workshop. It ends them when
 * their member leaves or their workshop closes, whichever instance took the
 * request: it follows the host channel of each workshop it holds streams of,
 * where both show as whole views (a `member` with `leftAt`, a `workshop`
 * with `state: "closed"`).
 */
export class LocalLearnerStreams {
  readonly #bus: EventBus;
  readonly #byWorkshop = new Map<string, WorkshopStreams>();

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  /** Keeps the stream until the returned function is called (when it closes). */
  add(workshopId: string, hostChannel: string, memberId: string, streamId: string, stream: SseStream): () => void {
    let workshop = this.#byWorkshop.get(workshopId);
    if (!workshop) {
      const streams = new Set<LearnerStream>();
      const unsubscribe = this.#bus.subscribe(hostChannel, (event) => endOnNews(streams, event));
      workshop = { streams, unsubscribe };
      this.#byWorkshop.set(workshopId, workshop);
    }
    const entry: LearnerStream = { memberId, streamId, stream };
    workshop.streams.add(entry);
    const held = workshop;
    return () => {
      held.streams.delete(entry);
      if (held.streams.size > 0 || this.#byWorkshop.get(workshopId) !== held) return;
      held.unsubscribe();
      this.#byWorkshop.delete(workshopId);
    };
  }

  /** Learner streams of the workshop open here. */
  count(workshopId: string): number {
    return this.#byWorkshop.get(workshopId)?.streams.size ?? 0;
  }

  /** Every learner stream open here: the leases this instance renews. */
  open(): OpenStream[] {
    return [...this.#byWorkshop].flatMap(([workshopId, { streams }]) =>
      [...streams].map(({ memberId, streamId }) => ({ workshopId, memberId, streamId })),
    );
  }
}

function endOnNews(streams: ReadonlySet<LearnerStream>, event: ChannelEvent): void {
  if (event.type === HOST_EVENTS.member && (event.data as MemberView).leftAt !== null) {
    const { id } = event.data as MemberView;
    for (const entry of [...streams]) if (entry.memberId === id) entry.stream.end();
  } else if (event.type === HOST_EVENTS.workshop && (event.data as HostWorkshop).state === 'closed') {
    // The learners' `state` event was published just before, on their channel: it reached these streams first.
    for (const entry of [...streams]) entry.stream.end();
  }
}
