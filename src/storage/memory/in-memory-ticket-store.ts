import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { TicketStore, type TicketGrant } from '../../tickets/ticket-store.js';

/** Stream tickets in this process: enough for a single instance (no REDIS_URL). */
@Injectable()
export class InMemoryTicketStore extends TicketStore implements OnModuleDestroy {
  private readonly tickets = new Map<
    string,
    { grant: TicketGrant; expiresAt: number; timer: NodeJS.Timeout }
  >();

  /** `now`: the clock, replaceable in unit tests. */
  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  save(key: string, grant: TicketGrant, ttlMs: number): Promise<boolean> {
    if (this.tickets.has(key)) return Promise.resolve(false);
    // The timer only frees memory; expiry itself is checked against the clock on take.
    const timer = setTimeout(() => this.tickets.delete(key), ttlMs);
    timer.unref();
    this.tickets.set(key, { grant, expiresAt: this.now() + ttlMs, timer });
    return Promise.resolve(true);
  }

  take(key: string): Promise<TicketGrant | null> {
    const entry = this.tickets.get(key);
    if (!entry) return Promise.resolve(null);
    this.tickets.delete(key);
    clearTimeout(entry.timer);
    return Promise.resolve(this.now() < entry.expiresAt ? entry.grant : null);
  }

  /** Tickets waiting, for leak checks. */
  get size(): number {
    return this.tickets.size;
  }

  onModuleDestroy(): void {
    for (const { timer } of this.tickets.values()) clearTimeout(timer);
    this.tickets.clear();
  }
}
