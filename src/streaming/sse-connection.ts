import type { TokenExpiringEvent } from '@notification-hub/client/protocol';
import { Logger } from '@nestjs/common';
import { frameComment, frameControl, frameRetry } from './sse-frame.js';
import { type Clocked, StreamClock } from './stream-clock.js';

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
  /** What its log lines call the stream (its user, workflow or document id); its user by default. */
  key?: string;
  /**
   * What the stream may hold beyond which the client is dropped as a slow consumer (it
   * resumes with Last-Event-ID), so that one client that stops reading cannot hold
   * unbounded memory: the sink's unsent bytes (the compressor's included) plus the frames
   * waiting, for the sink here or behind a replay (see {@link SseConnection.hold}).
   */
  maxBufferedBytes?: number;
  retryMs: number;
  heartbeatMs: number;
  /** When the stream's token expires: `token-expiring` 30 s before, the end at that moment. */
  expiresAt: Date;
  /** Called once, whatever ended the connection, with why (for the stream's log line). */
  onClose: (connection: SseConnection, reason: CloseReason) => void;
  /** Beats the heartbeat and keeps the token's deadlines: one for all of a hub's streams. */
  clock: StreamClock;
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

/** Memory a frame takes while it waits (a string's length is close enough). */
export const sizeOf = (chunk: Chunk | null) =>
  chunk === null ? 0 : typeof chunk === 'string' ? chunk.length : chunk.byteLength;

/**
 * The transport of one open stream: it writes framed bytes to the response, sends
 * heartbeats and the token's deadlines, drops a client that holds too much, and has a
 * single cleanup path, {@link close}, which runs once whether the client left, the token
 * expired or the server is shutting down. What to send, and in which order (replay, then
 * live), is {@link ResumableStream}'s business, not this class's.
 */
export class SseConnection implements Clocked {
  readonly userId: string;
  /** What log lines call the stream. */
  readonly key: string;
  private sink: SseSink | null = null;
  private endResponse: ((reason: CloseReason) => void) | null = null;
  /** Frames written before the sink existed (see {@link write}). */
  private beforeOpen: Chunk[] = [];
  /** The size of {@link beforeOpen} and of what the layer above holds (see {@link hold}). */
  private waitingBytes = 0;
  private closed = false;
  /**
   * Bytes handed to the response (before any gzip), for the stream's close line: a
   * number added to on each write, so counting costs nothing per frame.
   */
  private sent = 0;
  /** One for all connections: a Logger per stream was memory held for every idle stream. */
  private static readonly logger = new Logger(SseConnection.name);
  /** What the clock's deadline for this stream is for: the token's warning, then its end. */
  private deadline: 'warning' | 'end' | null = null;
  private beating = false;

  constructor(private readonly options: SseConnectionOptions) {
    this.userId = options.userId;
    this.key = options.key ?? options.userId;
  }

  get isOpen(): boolean {
    return !this.closed;
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
    this.options.clock.startHeartbeat(this, this.options.heartbeatMs);
    this.beating = true;
    this.awaitDeadline('warning');
  }

  /** The clock's heartbeat: a comment, which clients ignore, keeps proxies from timing out. */
  heartbeat(): void {
    this.guarded(() => this.write(frameComment()));
  }

  /** The clock's call once the deadline set by {@link awaitDeadline} is due. */
  deadlineDue(): void {
    const due = this.deadline;
    this.deadline = null;
    if (this.closed || due === null) return;
    this.guarded(() => {
      if (due === 'end') {
        this.end('token-expired');
        return;
      }
      this.write(
        frameControl('token-expiring', {
          expiresAt: this.options.expiresAt.toISOString(),
        } satisfies TokenExpiringEvent),
      );
      this.awaitDeadline('end');
    });
  }

  /** The token's warning 30 s before its `exp`, then its end at `exp`: at once when past. */
  private awaitDeadline(which: 'warning' | 'end'): void {
    if (this.closed) return;
    const expiresAt = this.options.expiresAt.getTime();
    const when = which === 'warning' ? expiresAt - TOKEN_WARNING_MS : expiresAt;
    this.deadline = which;
    // Not a number (an exp beyond a Date's range, say): at once, where its failure shows.
    if (!(when > Date.now())) this.deadlineDue();
    else this.options.clock.setDeadline(this, when);
  }

  /**
   * Null when more may be written at once; else resolves when the client has taken what
   * was written. A replay awaits it between events, so that a long history is sent at the
   * client's pace instead of piling up here and tripping the slow-consumer limit.
   */
  drained(): Promise<void> | null {
    return this.closed ? null : (this.sink?.drained?.() ?? null);
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
        // Buffer.byteLength of a string counts its UTF-8 bytes without encoding it.
        this.sent += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    this.dropIfOverLimit();
  }

  /**
   * Counts frames that the layer above holds for this stream (live events behind a
   * replay) against its limit: positive when it takes them, negative when it lets them
   * go. Over the limit, the client is dropped as a slow consumer.
   */
  hold(bytes: number): void {
    if (this.closed) return;
    this.waitingBytes += bytes;
    if (bytes > 0) this.dropIfOverLimit();
  }

  /** Bytes written to the response so far (frames waiting for it not counted). */
  get bytesSent(): number {
    return this.sent;
  }

  /** Everything this stream holds in memory: unsent bytes and frames waiting. */
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
    const sink = this.sink;
    this.close(reason);
    try {
      sink?.abort?.();
    } catch (error) {
      SseConnection.logger.error(`Could not drop the stream of ${this.key}: ${String(error)}`);
    }
  }

  /**
   * A failure in one stream's timer or write ends that stream, never the process: it
   * would otherwise be an uncaught exception, and take every other stream with it.
   */
  private fail(error: unknown): void {
    if (this.closed) return;
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    SseConnection.logger.error(`Stream of ${this.key} failed, closing it: ${detail}`);
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

  /** The server ends the stream; cleanup follows through {@link close}. */
  end(reason: CloseReason = 'server-ended'): void {
    if (this.closed) return;
    const endResponse = this.endResponse;
    this.close(reason);
    try {
      endResponse?.(reason);
    } catch (error) {
      SseConnection.logger.error(`Could not end the stream of ${this.key}: ${String(error)}`);
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
    if (this.beating) this.options.clock.stopHeartbeat(this, this.options.heartbeatMs);
    this.beating = false;
    if (this.deadline !== null) this.options.clock.clearDeadline(this);
    this.deadline = null;
    this.sink = null;
    this.endResponse = null;
    this.beforeOpen = [];
    this.waitingBytes = 0;
    this.options.onClose(this, reason);
  }

  /** Heartbeats and deadlines this stream has on its clock (0 or 2 while open), for leak checks. */
  get timerCount(): number {
    return (this.beating ? 1 : 0) + (this.deadline === null ? 0 : 1);
  }
}
