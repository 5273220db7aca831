import type { NotificationTypesEvent } from '@notification-hub/client/protocol';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { NotificationStore } from '../storage/notification-store.js';
import type { ResumableStream } from '../streaming/resumable-stream.js';
import { frameControl } from '../streaming/sse-frame.js';
import { StreamHub } from '../streaming/stream-hub.js';
import type { StreamRegistry } from '../streaming/stream-registry.js';
import { BUILT_IN_NOTIFICATION_TYPES } from './notification.js';

/**
 * The notification types the service knows, in memory, and the stream's `types` event
 * (CONTRACT.md, "The notification stream": Types). An `EventSource` hears only the event
 * names it listens for, so every stream is told the whole list before its first
 * notification, and again before the first notification of a type new to the service.
 *
 * The store records a type in the same atomic write as its first notification, so every
 * instance that the feed brings that notification to finds it new here and tells its own
 * streams: no message between instances is needed.
 */
@Injectable()
export class NotificationTypes implements OnModuleInit {
  private readonly logger = new Logger(NotificationTypes.name);
  /** Each known type and the version of the list that added it (0: built in or loaded). */
  private readonly introduced = new Map<string, number>(
    BUILT_IN_NOTIFICATION_TYPES.map((type) => [type, 0]),
  );
  private version = 0;
  private sorted: string[] = [...BUILT_IN_NOTIFICATION_TYPES].sort();
  private frameText = typesFrame(this.sorted);
  /** The version of the list each stream was last written directly (see {@link announceTo}). */
  private readonly announced = new WeakMap<ResumableStream, number>();

  /** The notification streams. */
  private readonly registry: StreamRegistry;

  constructor(
    private readonly store: NotificationStore,
    hub: StreamHub,
  ) {
    this.registry = hub.users;
  }

  /** Loads what the store knows; a store that is down is read again on {@link reload}. */
  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  /** Reads the store's list again (at start, and when the feed is back after an outage). */
  async reload(): Promise<void> {
    try {
      this.add(await this.store.knownTypes());
    } catch (error) {
      this.logger.warn(`Could not read the known notification types: ${String(error)}`);
    }
  }

  /** Every known type, sorted. */
  list(): readonly string[] {
    return this.sorted;
  }

  /**
   * Called with each notification the feed brings, before it is routed: a type new to
   * this instance goes on the list, and every stream gets the new list first. It is
   * `send` (not `write`), so that a stream holding live events for a replay gets it in
   * order, before the held notification.
   */
  observe(type: string): void {
    this.add([type]);
  }

  /** The `types` frame a stream sends at its start, before anything but `reset`. */
  frameForStart(connection: ResumableStream): string {
    this.announced.set(connection, this.version);
    return this.frameText;
  }

  /**
   * A replayed notification bypasses the events a stream holds, the new list among them:
   * the stream is written the list first when its type came after the last list it was
   * written (a type stored while this instance did not hear the feed is new here too).
   */
  announceTo(connection: ResumableStream, type: string): void {
    if (!this.introduced.has(type)) this.add([type]);
    const since = this.announced.get(connection) ?? -1;
    if (this.introduced.get(type)! <= since) return;
    this.announced.set(connection, this.version);
    connection.write(this.frameText);
  }

  private add(types: readonly string[]): void {
    const fresh = types.filter((type) => !this.introduced.has(type));
    if (fresh.length === 0) return;
    this.version += 1;
    for (const type of fresh) this.introduced.set(type, this.version);
    this.sorted = [...this.introduced.keys()].sort();
    this.frameText = typesFrame(this.sorted);
    if (this.registry.size === 0) return;
    const frame = Buffer.from(this.frameText);
    this.registry.sendToAll((connection) => connection.send(frame), null);
  }
}

function typesFrame(types: readonly string[]): string {
  return frameControl('types', { types: [...types] } satisfies NotificationTypesEvent);
}
