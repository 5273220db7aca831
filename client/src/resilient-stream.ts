import { EventSourcePolyfill } from 'event-source-polyfill';
import { msUntilExpiry } from './jwt-claims.js';
import { QuietFetchTransport } from './quiet-fetch-transport.js';

/**
 * How a stream authenticates:
 * - `polyfill`: `EventSourcePolyfill` (the `event-source-polyfill` package, imported) sends the
 *   token in an `Authorization` header, so it never appears in a URL; it reads through
 *   {@link QuietFetchTransport}, so a stream broken by a crash leaves no uncaught error;
 * - `native`: the browser's own `EventSource`, which cannot send headers, opens the
 *   stream with a single-use ticket (`POST /notifications/tickets`) in its URL.
 */
export type Transport = 'polyfill' | 'native';

export type StreamState =
  | { status: 'connecting' }
  | { status: 'live' }
  /** `at`: when the next attempt starts (epoch ms), for a countdown. */
  | { status: 'reconnecting'; at: number; attempt: number }
  /** Given up: `unauthorized` (401/403), `not-found`, `token-expired`, `ended`, `stopped`. */
  | { status: 'stopped'; reason: string };

/** What both EventSource implementations have in common, as far as this module uses it. */
interface EventSourceLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

export type EventSourcePolyfillConstructor = new (
  url: string,
  init: {
    headers: Record<string, string>;
    heartbeatTimeout?: number;
    /** How the polyfill reads the response (event-source-polyfill's `Transport` option). */
    Transport?: new () => unknown;
  },
) => EventSourceLike;

export interface ResilientStreamOptions {
  /** The service's origin; '' for the page's own. */
  baseUrl: string;
  /** `/notifications/stream`, `/workflows/42/stream`... */
  path: string;
  transport: Transport;
  /** A valid token, asked before every connection (so a refreshed one is picked up). */
  getToken(): Promise<string>;
  /** The named events to receive: EventSource has no wildcard (add more with {@link ResilientStream.listen}). */
  events: readonly string[];
  /** Every event received; `id` is '' for control events. */
  onEvent(type: string, data: string, id: string): void;
  onState?(state: StreamState): void;
  /** The cursor to resume after, asked at every (re)connection; null for none. */
  resumeAfter?(): string | null;
  /** Runs each time the stream is open (before its first event is handled). */
  onOpen?(): void;
  /** The `polyfill` transport's EventSource; default the `event-source-polyfill` package's. */
  polyfill?: EventSourcePolyfillConstructor;
}

/** Waits between attempts: quick at first, then no more often than every 15 s. */
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];

/**
 * One authenticated Server-Sent Events stream that stays up: it reconnects after any
 * failure with a backoff (announcing when, for a countdown), resumes after the cursor
 * its owner gives, and on `token-expiring` reconnects at once with a fresh token or
 * ticket. Both transports' own reconnection is bypassed, because a ticket works once
 * and a token may have been refreshed meanwhile.
 */
export class ResilientStream {
  private source: EventSourceLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private running = false;
  /** The token of the current connection, to tell whether a refresh gave a new one. */
  private token: string | null = null;
  /** Bumped on every (dis)connection, so that a superseded connection's callbacks do nothing. */
  private generation = 0;
  /** Every event name listened to, on this connection and the next ones. */
  private readonly events: Set<string>;
  private readonly onOnline = () => {
    if (this.retryTimer !== undefined) this.reconnectNow();
  };

  constructor(private readonly options: ResilientStreamOptions) {
    this.events = new Set(options.events);
  }

  /**
   * Receives one more event name from now on, on the open connection too. Called while
   * handling an event (`types`), it is in place before the stream's next event.
   */
  listen(type: string): void {
    if (this.events.has(type)) return;
    this.events.add(type);
    if (this.source) this.addListener(this.source, type, this.generation);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    window.addEventListener('online', this.onOnline);
    void this.connect();
  }

  stop(reason = 'stopped'): void {
    if (!this.running) return;
    this.running = false;
    window.removeEventListener('online', this.onOnline);
    this.disconnect();
    this.options.onState?.({ status: 'stopped', reason });
  }

  /** Drops the current connection and opens a new one now, with the same cursor. */
  reconnectNow(): void {
    if (!this.running) return;
    this.disconnect();
    void this.connect();
  }

  private disconnect(): void {
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.source?.close();
    this.source = null;
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const current = () => generation === this.generation && this.running;
    this.options.onState?.({ status: 'connecting' });
    let source: EventSourceLike;
    try {
      const token = await this.options.getToken();
      if (!current()) return;
      if (msUntilExpiry(token) <= 0) {
        this.stop('token-expired');
        return;
      }
      this.token = token;
      source = await this.open(token);
    } catch {
      // The service is unreachable (or refused the ticket): try again later.
      if (current()) this.retryLater();
      return;
    }
    if (!current()) {
      source.close();
      return;
    }
    this.source = source;
    source.addEventListener('open', () => {
      if (!current()) return;
      this.attempt = 0;
      this.options.onState?.({ status: 'live' });
      this.options.onOpen?.();
    });
    source.addEventListener('error', (event) => {
      if (current()) this.failed(event);
    });
    source.addEventListener('token-expiring', () => {
      if (current()) void this.refresh();
    });
    for (const type of this.events) this.addListener(source, type, generation);
  }

  private addListener(source: EventSourceLike, type: string, generation: number): void {
    source.addEventListener(type, (event) => {
      if (generation !== this.generation || !this.running) return;
      const message = event as MessageEvent<string>;
      this.options.onEvent(type, message.data, message.lastEventId);
    });
  }

  private async open(token: string): Promise<EventSourceLike> {
    const url = new URL(this.options.path, this.options.baseUrl || window.location.href);
    const cursor = this.options.resumeAfter?.() ?? null;
    // A fresh EventSource cannot be given a Last-Event-ID header; the service reads the query too.
    if (cursor !== null) url.searchParams.set('lastEventId', cursor);
    if (this.options.transport === 'native') {
      url.searchParams.set('ticket', await this.ticket(token));
      return new EventSource(url);
    }
    const Polyfill = this.options.polyfill ?? EventSourcePolyfill;
    return new Polyfill(url.toString(), {
      headers: { Authorization: `Bearer ${token}` },
      Transport: QuietFetchTransport,
    });
  }

  private async ticket(token: string): Promise<string> {
    const url = new URL('/notifications/tickets', this.options.baseUrl || window.location.href);
    const response = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`Ticket refused: ${response.status}`);
    return ((await response.json()) as { ticket: string }).ticket;
  }

  /** An error: the polyfill says why (its status); the native EventSource never does. */
  private failed(event: Event): void {
    const status = (event as Event & { status?: number }).status ?? 0;
    this.disconnect();
    if (status === 401 || status === 403) this.stop('unauthorized');
    else if (status === 404) this.stop('not-found');
    else this.retryLater();
  }

  private retryLater(): void {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.options.onState?.({
      status: 'reconnecting',
      at: Date.now() + delay,
      attempt: this.attempt,
    });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  /**
   * `token-expiring`: reconnect now with a fresh token, resuming after the cursor, so
   * nothing is lost. A token that cannot be refreshed (one pasted by hand) is kept until
   * the stream ends with it; the next attempt then reports `token-expired`.
   */
  private async refresh(): Promise<void> {
    const generation = this.generation;
    const token = await this.options.getToken().catch(() => this.token);
    if (generation !== this.generation) return;
    if (token !== null && token !== this.token && msUntilExpiry(token) > 0) this.reconnectNow();
  }
}
