import { Injectable } from '@nestjs/common';
import { PreferenceStore } from '../storage/preference-store.js';

/** A connected user's muted types; `muted` is null until the store answered. */
interface Entry {
  streams: number;
  muted: ReadonlySet<string> | null;
  list: readonly string[];
  /** Settles once `muted` is known; rejects when the store could not be read. */
  loaded: Promise<void>;
  failed: boolean;
  /** Deliveries that came while `muted` was being read, run in order once it is known. */
  waiting: (() => void)[];
}

/**
 * The types each user with a stream on this instance turned off (CONTRACT.md, "The
 * inbox": preferences), in memory, so that a delivery checks a stream in O(1) and a
 * broadcast reads nothing from the store. A user's set is read once, when their first
 * stream opens, kept current by the feed's `preferences` event, and forgotten when their
 * last stream closes.
 */
@Injectable()
export class MutedTypes {
  private readonly entries = new Map<string, Entry>();
  /** Entries that may mute something (still loading, or a non-empty set). */
  private muting = 0;

  constructor(private readonly store: PreferenceStore) {}

  /**
   * A stream of `userId` opens: their set is read unless it is known already, once
   * `heard` resolves (the feed brings the user's changes from then on).
   */
  retain(userId: string, heard: Promise<void> | null = null): void {
    const entry = this.entries.get(userId);
    if (!entry) {
      const fresh: Entry = {
        streams: 1,
        muted: null,
        list: [],
        loaded: Promise.resolve(),
        failed: false,
        waiting: [],
      };
      this.entries.set(userId, fresh);
      this.muting += 1;
      this.load(userId, fresh, heard);
      return;
    }
    entry.streams += 1;
    if (entry.failed) this.load(userId, entry, heard);
  }

  /** A stream of `userId` closed; their last one forgets the set. */
  release(userId: string): void {
    const entry = this.entries.get(userId);
    if (!entry || --entry.streams > 0) return;
    if (mayMute(entry)) this.muting -= 1;
    entry.waiting = [];
    this.entries.delete(userId);
  }

  /** The user's muted types if known now (they have a stream here and the set was read), or null. */
  now(userId: string): readonly string[] | null {
    const entry = this.entries.get(userId);
    return entry?.muted ? entry.list : null;
  }

  /** Resolves with the user's muted types once known (rejects if the store failed). */
  async ready(userId: string): Promise<readonly string[]> {
    const entry = this.entries.get(userId);
    if (!entry) return this.store.mutedTypes(userId);
    await entry.loaded;
    return entry.list;
  }

  /**
   * The user's preferences changed (the feed's `preferences` event): false when they
   * have no stream here, so that there is nothing to update or tell.
   */
  update(userId: string, muted: readonly string[]): boolean {
    const entry = this.entries.get(userId);
    if (!entry) return false;
    this.settle(userId, entry, muted);
    return true;
  }

  /**
   * Whether `type` may go to `userId` now: false when they turned it off, null while their
   * set is still being read (then {@link forUser} holds the delivery). No closure: a
   * targeted publish asks once per recipient.
   */
  allows(userId: string, type: string): boolean | null {
    // A broadcast asks for every stream: nothing to look up while nobody mutes.
    if (this.muting === 0) return true;
    const entry = this.entries.get(userId);
    if (!entry) return true;
    if (entry.muted === null) return null;
    return !entry.muted.has(type);
  }

  /** Runs `deliver` unless `userId` turned `type` off (later, while their set is read). */
  forUser(userId: string, type: string, deliver: () => void): void {
    const entry = this.entries.get(userId);
    if (!entry) return deliver();
    if (entry.muted === null) {
      entry.waiting.push(() => {
        if (!entry.muted?.has(type)) deliver();
      });
    } else if (!entry.muted.has(type)) deliver();
  }

  /** Whether `userId` (connected here) turned `type` off; false for an unknown user. */
  isMuted(userId: string, type: string): boolean {
    // A broadcast asks for every connected user: nothing to look up while nobody mutes.
    if (this.muting === 0) return false;
    return this.entries.get(userId)?.muted?.has(type) ?? false;
  }

  /** Users whose sets are kept, for leak checks. */
  get size(): number {
    return this.entries.size;
  }

  private load(userId: string, entry: Entry, heard: Promise<void> | null): void {
    entry.failed = false;
    const read = heard
      ? heard.then(() => this.store.mutedTypes(userId))
      : this.store.mutedTypes(userId);
    entry.loaded = read.then(
      (muted) => {
        // A change the feed brought while the store was read is the newer one.
        if (entry.muted === null) this.settle(userId, entry, muted);
      },
      (error: unknown) => {
        // The streams waiting for it end (the client retries); the next open reads again.
        entry.failed = true;
        entry.waiting = [];
        throw error;
      },
    );
    // Nobody may be waiting on it; the rejection is handled through ready().
    entry.loaded.catch(() => undefined);
  }

  private settle(userId: string, entry: Entry, muted: readonly string[]): void {
    // A released entry (its user's last stream closed meanwhile) is no longer counted.
    const current = this.entries.get(userId) === entry;
    const counted = current && mayMute(entry);
    entry.muted = new Set(muted);
    entry.list = [...muted];
    const counts = current && mayMute(entry);
    if (counted !== counts) this.muting += counts ? 1 : -1;
    const waiting = entry.waiting;
    entry.waiting = [];
    for (const deliver of waiting) deliver();
  }
}

function mayMute(entry: Entry): boolean {
  return entry.muted === null || entry.muted.size > 0;
}
