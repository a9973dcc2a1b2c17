/** What {@link StreamSlots.acquire} answers: a release function, or who is full. */
export type SlotGrant = { ok: true; release: () => void } | { ok: false; scope: 'address' | 'server'; limit: number };

/** The two caps on concurrent streams. */
export interface StreamCaps {
  /** Streams one client address may hold at once (`MAX_CONNECTIONS_PER_IP`). */
  perAddress: number;
  /** Streams the whole server may hold at once (`MAX_CONNECTIONS`). */
  total: number;
}

/**
 * Counts the long-lived connections (SSE streams, WebSockets, held long
 * polls) per client address and in all, and refuses one past either cap.
 * Each grant's `release` gives the slot back, once, however often it is called.
 */
export class StreamSlots {
  readonly #caps: StreamCaps;
  readonly #byAddress = new Map<string, number>();
  #total = 0;

  constructor(caps: StreamCaps) {
    this.#caps = caps;
  }

  acquire(address: string): SlotGrant {
    const held = this.#byAddress.get(address) ?? 0;
    if (held >= this.#caps.perAddress) return { ok: false, scope: 'address', limit: this.#caps.perAddress };
    if (this.#total >= this.#caps.total) return { ok: false, scope: 'server', limit: this.#caps.total };
    this.#byAddress.set(address, held + 1);
    this.#total += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#total -= 1;
        const left = (this.#byAddress.get(address) ?? 1) - 1;
        if (left === 0) this.#byAddress.delete(address);
        else this.#byAddress.set(address, left);
      },
    };
  }

  /** Streams held now, by `address` or in all. */
  held(address?: string): number {
    return address === undefined ? this.#total : (this.#byAddress.get(address) ?? 0);
  }
}
