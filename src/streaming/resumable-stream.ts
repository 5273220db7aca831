import type { ResetEvent } from '@notification-hub/client/protocol';
import { isAfter } from '../cursor.js';
import type { Chunk, CloseReason, SseConnection } from './sse-connection.js';
import { sizeOf } from './sse-connection.js';
import { frameControl } from './sse-frame.js';

/** Items read from a store per query while replaying. */
export const REPLAY_PAGE = 500;

/**
 * What `event: reset` says, by cause (CONTRACT.md, "The notification stream"): the
 * client's Last-Event-ID cannot be resumed from, or the store lost what was sent.
 */
export const RESET_REASONS = {
  malformed: 'The Last-Event-ID is not a cursor of this service',
  unknown: 'The Last-Event-ID is unknown to this service',
  expired: 'The Last-Event-ID is older than the notifications kept',
  notInTimeline: "The Last-Event-ID is not a cursor of this workflow's timeline",
  historyLost: 'The store lost notifications this stream had sent (it restarted without its data)',
} as const;

export type ResetReason = keyof typeof RESET_REASONS;

/** A page of a stream's history after a cursor (null: from its start), oldest first. */
export type ReadPage<T> = (after: string | null, limit: number) => Promise<T[]>;

/** A live event held while the stream replays. */
interface Held {
  frame: Chunk;
  cursor: string | null;
  ifDropped: Chunk | null;
}

const DONE = Promise.resolve();

/**
 * One registered stream and the order of what it delivers: it replays history from a
 * store, holding live events back meanwhile, then sends those the replay did not carry
 * and goes live: no gap, no duplicate (a cursor is sent once, never an older one after a
 * newer). A stream without history (presence) only holds live events until its first
 * frame is written. Bytes, timers and the slow-consumer limit are its
 * {@link SseConnection}'s; this class decides what reaches it.
 */
export class ResumableStream {
  readonly userId: string;
  /** The newest cursor this stream has sent; older or equal ones are dropped. */
  private lastCursor: string | null = null;
  /** Where the stream started in the store's history, for a catch-up before any event. */
  private startPoint: string | null = null;
  /** Live events held back while a replay runs; null once the stream is live. */
  private backlog: Held[] | null = null;
  /** The stream's replays run one after another (see {@link inTurn}). */
  private turn: Promise<void> = DONE;

  /** `id`: what it is registered under in its registry (its user, workflow or document). */
  constructor(
    readonly connection: SseConnection,
    readonly id: string,
  ) {
    this.userId = connection.userId;
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /** Open and not holding live events back for a replay. */
  get isLive(): boolean {
    return this.connection.isOpen && this.backlog === null;
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

  /** The cursor a catch-up replays after: the last event sent, or the start point. */
  get position(): string | null {
    return this.lastCursor ?? this.startPoint;
  }

  /**
   * Delivers a live event. One with a cursor is dropped when this stream has already
   * sent it or anything newer: the replay may have carried it. `ifDropped` is written
   * instead when it is dropped: a frame sent with it (the unread count that goes with a
   * notification) that still holds.
   */
  send(frame: Chunk, cursor: string | null = null, ifDropped: Chunk | null = null): void {
    if (!this.connection.isOpen) return;
    if (this.backlog) {
      this.backlog.push({ frame, cursor, ifDropped });
      this.connection.hold(sizeOf(frame) + sizeOf(ifDropped));
    } else this.sendInOrder(frame, cursor, ifDropped);
  }

  /** Writes a frame now, ahead of anything held (a control frame, a snapshot). */
  write(frame: Chunk): void {
    this.connection.write(frame);
  }

  /** Writes `event: reset` (the client reloads what it shows) with the newest cursor. */
  reset(reason: ResetReason, latestId: string | null): void {
    this.connection.write(
      frameControl('reset', {
        reason: RESET_REASONS[reason],
        latestId,
      } satisfies ResetEvent),
    );
  }

  /** Writes a replayed event (replays bypass the held events). */
  replay(frame: Chunk, cursor: string): void {
    this.sendInOrder(frame, cursor);
  }

  /**
   * Replays the items `read` gives after `after` (those `frame` turns into null are
   * skipped: not for this stream), page by page at the client's pace,
   * then {@link goLive}. `onPage` sees each page once it is written.
   */
  async replayThenLive<T extends { id: string }>(
    read: ReadPage<T>,
    frame: (item: T) => Chunk | null,
    after: string | null,
    onPage?: (page: T[]) => void,
  ): Promise<void> {
    let from = after;
    while (this.connection.isOpen) {
      const page = await read(from, REPLAY_PAGE);
      for (const item of page) {
        const framed = frame(item);
        if (framed === null) continue;
        this.replay(framed, item.id);
        await this.connection.drained();
      }
      onPage?.(page);
      if (page.length < REPLAY_PAGE) break;
      from = page[page.length - 1].id;
    }
    this.goLive();
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
      this.connection.hold(-(sizeOf(frame) + sizeOf(ifDropped)));
      this.sendInOrder(frame, cursor, ifDropped);
    }
  }

  /**
   * Runs `task` once the stream's previous replay, if any, has finished: a catch-up that
   * started while the stream's own resume was still replaying would otherwise release
   * held events early.
   */
  inTurn(task: () => Promise<void>): Promise<void> {
    const turn = this.turn.then(task);
    this.turn = turn.catch(() => undefined);
    return turn;
  }

  /** Null when more may be written at once; else resolves once the client has caught up. */
  drained(): Promise<void> | null {
    return this.connection.drained();
  }

  /** The server ends the stream (see SseConnection.end). */
  end(reason?: CloseReason): void {
    this.connection.end(reason);
  }

  endAndFlush(reason: CloseReason): Promise<void> {
    return this.connection.endAndFlush(reason);
  }

  close(reason?: CloseReason): void {
    this.connection.close(reason);
  }

  private sendInOrder(frame: Chunk, cursor: string | null, ifDropped: Chunk | null = null): void {
    if (cursor !== null && this.lastCursor !== null && !isAfter(cursor, this.lastCursor)) {
      if (ifDropped !== null) this.connection.write(ifDropped);
      return;
    }
    if (cursor !== null) this.lastCursor = cursor;
    this.connection.write(frame);
  }
}
