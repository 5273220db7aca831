import { Logger } from '@nestjs/common';
import { isAfter } from '../cursor.js';
import { frameComment, frameControl, frameRetry } from './sse-frame.js';

/** Framed bytes: a string, or a Buffer encoded once and written to many streams. */
export type Chunk = string | Buffer;

/** Where a connection's bytes go: the HTTP response of the stream. */
export interface SseSink {
  write(chunk: Chunk): unknown;
  /** Bytes written and not yet handed to the kernel for the client. */
  buffered?(): number;
  /** Drops the connection at once, unsent data and all. */
  abort?(): void;
  /** Null when the sink takes more at once; else resolves once it has drained (or closed). */
  drained?(): Promise<void> | null;
  /** Resolves once an ended response has handed its last byte to the kernel, or closed. */
  finished?(): Promise<void>;
}

export interface SseConnectionOptions {
  userId: string;
  /** The registry key, when it is not the user (a workflow's timeline stream, say). */
  key?: string;
  /**
   * What the stream may hold beyond which the client is dropped as a slow consumer (it
   * resumes with Last-Event-ID), so that one client that stops reading cannot hold
   * unbounded memory: the sink's unsent bytes (the compressor's included) plus the frames
   * waiting here, behind a replay or for the sink.
   */
  maxBufferedBytes?: number;
  retryMs: number;
  heartbeatMs: number;
  /** When the stream's token expires: `token-expiring` 30 s before, the end at that moment. */
  expiresAt: Date;
  /** Called once, whatever ended the connection, with why (for the stream's log line). */
  onClose: (connection: SseConnection, reason: CloseReason) => void;
}

/**
 * How a stream ended: the client left, its token expired, the server shut down, it
 * fell too far behind, or it failed; `server-ended` when the server gave no reason.
 */
export type CloseReason =
  'client-left' | 'token-expired' | 'shutdown' | 'slow-consumer' | 'error' | 'server-ended';

/** MAX_BUFFERED_BYTES's default (CONTRACT.md, "Start-up and configuration"). */
export const DEFAULT_MAX_BUFFERED_BYTES = 1048576;

/** How long before its token's `exp` a stream warns its client (CONTRACT.md, "Tokens"). */
export const TOKEN_WARNING_MS = 30_000;
/** setTimeout fires at once for delays over 2^31 - 1 ms, so longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Memory a frame takes while it waits here (a string's length is close enough). */
const sizeOf = (chunk: Chunk | null) =>
  chunk === null ? 0 : typeof chunk === 'string' ? chunk.length : chunk.byteLength;

/**
 * One open stream. It owns its timers and has a single cleanup path,
 * {@link close}, which runs once whether the client left, the token expired or
 * the server is shutting down.
 */
export class SseConnection {
  readonly userId: string;
  /** What the stream is registered under: its user, or a resource such as a workflow. */
  readonly key: string;
  private sink: SseSink | null = null;
  private endResponse: ((reason: CloseReason) => void) | null = null;
  /** The newest notification cursor this stream has sent; older or equal ones are dropped. */
  private lastCursor: string | null = null;
  /** Where the stream started in the store's history, for a catch-up before any notification. */
  private startPoint: string | null = null;
  /** Live events held back while a replay runs; null once the stream is live. */
  private backlog: { frame: Chunk; cursor: string | null; ifDropped: Chunk | null }[] | null = null;
  /** Frames written before the sink existed (see {@link write}). */
  private beforeOpen: Chunk[] = [];
  /** The size of what {@link backlog} and {@link beforeOpen} hold. */
  private waitingBytes = 0;
  private closed = false;
  private readonly logger = new Logger(SseConnection.name);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: SseConnectionOptions) {
    this.userId = options.userId;
    this.key = options.key ?? options.userId;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Open and not holding live events back for a replay. */
  get isLive(): boolean {
    return !this.closed && this.backlog === null;
  }

  /**
   * Starts the stream: `retry:` first, then heartbeats and the token's deadlines.
   * `endResponse` is how the server ends the response when it closes the stream.
   */
  open(sink: SseSink, endResponse: (reason: CloseReason) => void): void {
    if (this.closed) return;
    this.sink = sink;
    this.endResponse = endResponse;
    this.write(frameRetry(this.options.retryMs));
    const waiting = this.beforeOpen;
    this.beforeOpen = [];
    for (const frame of waiting) {
      this.waitingBytes -= sizeOf(frame);
      this.write(frame);
    }
    // A write that failed or went over the limit closed it: no timer may outlive it.
    if (this.closed) return;
    const heartbeat = setInterval(
      () => this.guarded(() => this.write(frameComment())),
      this.options.heartbeatMs,
    );
    this.timers.add(heartbeat);
    const expiresAt = this.options.expiresAt.getTime();
    this.at(expiresAt - TOKEN_WARNING_MS, () =>
      this.write(
        frameControl('token-expiring', { expiresAt: this.options.expiresAt.toISOString() }),
      ),
    );
    this.at(expiresAt, () => this.end('token-expired'));
  }

  /**
   * Holds live events back until {@link goLive}, for a stream that replays history
   * first. Called before the stream is registered for live delivery, so nothing
   * published during the replay can slip between the two.
   */
  holdLive(resumeAfter: string | null = this.lastCursor): void {
    this.backlog ??= [];
    this.lastCursor = resumeAfter;
  }

  /** Records where in the store's history a fresh stream began. */
  markStartPoint(cursor: string | null): void {
    this.startPoint = cursor;
  }

  /** The cursor a catch-up replays after: the last notification sent, or the start point. */
  get position(): string | null {
    return this.lastCursor ?? this.startPoint;
  }

  /**
   * Delivers a live event. A notification (one with a cursor) is dropped when this
   * stream has already sent it or anything newer: the replay may have carried it.
   */
  send(frame: Chunk, cursor: string | null = null, ifDropped: Chunk | null = null): void {
    if (this.closed) return;
    if (this.backlog) {
      this.backlog.push({ frame, cursor, ifDropped });
      this.waitingBytes += sizeOf(frame) + sizeOf(ifDropped);
      this.dropIfOverLimit();
    } else this.sendInOrder(frame, cursor, ifDropped);
  }

  /**
   * Null when more may be written at once; else resolves when the client has taken what
   * was written. A replay awaits it between events, so that a long history is sent at the
   * client's pace instead of piling up here and tripping the slow-consumer limit.
   */
  drained(): Promise<void> | null {
    return this.closed ? null : (this.sink?.drained?.() ?? null);
  }

  /** Writes a replayed notification (replays bypass the backlog). */
  replay(frame: string, cursor: string): void {
    this.sendInOrder(frame, cursor);
  }

  /**
   * Ends a replay: sends what arrived live meanwhile and was not replayed, then goes
   * live. `fromScratch` forgets the resume cursor (after a reset).
   */
  goLive({ fromScratch = false } = {}): void {
    const backlog = this.backlog ?? [];
    this.backlog = null;
    if (fromScratch) this.lastCursor = null;
    for (const { frame, cursor, ifDropped } of backlog) {
      this.waitingBytes -= sizeOf(frame) + sizeOf(ifDropped);
      this.sendInOrder(frame, cursor, ifDropped);
    }
  }

  /**
   * Writes an already framed event or control frame; a closed connection drops it. Before
   * {@link open} (registered, but Nest has not subscribed yet) frames wait for the sink:
   * a catch-up may already have put the stream live, and live events must not vanish.
   */
  write(frame: Chunk): void {
    if (this.closed) return;
    if (!this.sink) {
      this.beforeOpen.push(frame);
      this.waitingBytes += sizeOf(frame);
    } else {
      try {
        this.sink.write(frame);
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    this.dropIfOverLimit();
  }

  /** Everything this stream holds in memory: unsent bytes and frames waiting here. */
  get heldBytes(): number {
    return this.waitingBytes + (this.sink?.buffered?.() ?? 0);
  }

  /** Drops the client as a slow consumer once the stream holds more than the limit. */
  private dropIfOverLimit(): void {
    if (this.heldBytes <= (this.options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES)) return;
    this.abort('slow-consumer');
  }

  /** Closes the stream and drops its connection at once, unsent data and all. */
  private abort(reason: CloseReason): void {
    const abort = this.sink?.abort;
    this.close(reason);
    try {
      abort?.();
    } catch (error) {
      this.logger.error(`Could not drop the stream of ${this.key}: ${String(error)}`);
    }
  }

  /**
   * A failure in one stream's timer or write ends that stream, never the process: it
   * would otherwise be an uncaught exception, and take every other stream with it.
   */
  private fail(error: unknown): void {
    if (this.closed) return;
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.logger.error(`Stream of ${this.key} failed, closing it: ${detail}`);
    this.abort('error');
  }

  /** Runs a timer's task; what it throws closes this stream (see {@link fail}). */
  private guarded(task: () => void): void {
    try {
      task();
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * `ifDropped` is written instead when the notification is dropped: a frame sent with
   * it (the unread count that goes with the notification) that still holds.
   */
  private sendInOrder(frame: Chunk, cursor: string | null, ifDropped: Chunk | null = null): void {
    if (cursor !== null && this.lastCursor !== null && !isAfter(cursor, this.lastCursor)) {
      if (ifDropped !== null) this.write(ifDropped);
      return;
    }
    if (cursor !== null) this.lastCursor = cursor;
    this.write(frame);
  }

  /** The server ends the stream; cleanup follows through {@link close}. */
  end(reason: CloseReason = 'server-ended'): void {
    if (this.closed) return;
    const endResponse = this.endResponse;
    this.close(reason);
    try {
      endResponse?.(reason);
    } catch (error) {
      this.logger.error(`Could not end the stream of ${this.key}: ${String(error)}`);
    }
  }

  /** {@link end}, resolved once the response is complete (its last byte handed to the kernel) or gone. */
  endAndFlush(reason: CloseReason): Promise<void> {
    const finished = (!this.closed && this.sink?.finished?.()) || Promise.resolve();
    this.end(reason);
    return finished;
  }

  /** The one cleanup path: timers stopped, owner told, sink dropped. Idempotent. */
  close(reason: CloseReason = 'client-left'): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.clear();
    this.sink = null;
    this.endResponse = null;
    this.backlog = null;
    this.beforeOpen = [];
    this.waitingBytes = 0;
    this.options.onClose(this, reason);
  }

  /** Number of live timers, for leak checks. */
  get timerCount(): number {
    return this.timers.size;
  }

  private at(when: number, task: () => void): void {
    if (this.closed) return;
    const delay = when - Date.now();
    // Not a number (an exp beyond a Date's range, say): at once, where its failure shows.
    if (!(delay > 0)) {
      this.guarded(task);
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.closed) return;
        if (delay > MAX_TIMER_MS) this.at(when, task);
        else this.guarded(task);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    this.timers.add(timer);
  }
}
