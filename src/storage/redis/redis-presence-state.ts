import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../../config.js';
import {
  byUserId,
  PresenceHandlers,
  PresenceState,
  type Position,
  type PresentUser,
} from '../../presence/presence-state.js';
import { PRESENCE_SCRIPT } from './presence-script.js';
import { CHANNELS, decodePresenceMessage, encodePresenceMove } from './redis-channels.js';
import { KEY_PREFIX, RedisConnections } from './redis-connections.js';

/**
 * Presence shared by every instance through Redis (layout and sweeping: see
 * {@link PRESENCE_SCRIPT}). Each instance has a random id and refreshes the members of the
 * users it holds streams of every TTL / 4, so that when it dies without a word its users
 * leave within 1.25 × TTL. Events go through one channel (every instance publishes every
 * document's events there, and subscribes once), and each instance routes them to
 * its own streams by document; ioredis resubscribes after a reconnect, and because what was
 * published meanwhile is lost, the service is then told to {@link PresenceHandlers.resync}.
 */
@Injectable()
export class RedisPresenceState extends PresenceState implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisPresenceState.name);
  private readonly instanceId = randomBytes(8).toString('hex');
  private readonly ttlMs: number;
  /** Document → users this instance holds streams of there: what each tick refreshes. */
  private readonly held = new Map<string, Set<string>>();
  private ticker: NodeJS.Timeout | null = null;
  private handlers: PresenceHandlers | null = null;
  private wasReady = false;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    super();
    this.ttlMs = config.presenceTtlMs;
    const { subscriber } = redis;
    // The live feed (redis-live-feed.ts) listens on this connection too: other channels are not ours.
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === CHANNELS.presence) this.receive(message);
    });
    subscriber.on('ready', () => this.onReady());
  }

  listen(handlers: PresenceHandlers): void {
    this.handlers = handlers;
    if (this.redis.subscriber.status === 'ready') this.onReady();
  }

  async enter(documentId: string, userId: string): Promise<void> {
    let users = this.held.get(documentId);
    if (!users) {
      users = new Set();
      this.held.set(documentId, users);
    }
    users.add(userId);
    this.ticker ??= setInterval(() => void this.tick(), Math.floor(this.ttlMs / 4));
    await this.run(documentId, 'enter', this.member(userId));
  }

  async exit(documentId: string, userId: string): Promise<void> {
    const users = this.held.get(documentId);
    if (users?.delete(userId) && users.size === 0) this.held.delete(documentId);
    if (this.held.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
    await this.run(documentId, 'exit', this.member(userId));
  }

  async move(documentId: string, userId: string, { x, y }: Position): Promise<void> {
    const event = encodePresenceMove(documentId, userId, { x, y });
    await this.run(documentId, 'move', userId, JSON.stringify({ x, y }), event);
  }

  async snapshot(documentId: string): Promise<PresentUser[]> {
    const flat = (await this.run(documentId, 'snapshot')) as string[];
    const present: PresentUser[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const { x, y } = JSON.parse(flat[i + 1]) as Position;
      present.push({ userId: flat[i], x, y });
    }
    return present.sort(byUserId);
  }

  onApplicationShutdown(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.handlers = null;
  }

  /** Documents this instance holds users on, for leak checks. */
  get documentCount(): number {
    return this.held.size;
  }

  private member(userId: string): string {
    return `${this.instanceId}|${userId}`;
  }

  private run(documentId: string, op: string, ...args: (string | number)[]): Promise<unknown> {
    const key = `${KEY_PREFIX}presence:${documentId}:`;
    return PRESENCE_SCRIPT.run(
      this.redis.commands,
      [`${key}members`, `${key}counts`, `${key}positions`],
      [op, CHANNELS.presence, documentId, this.ttlMs, ...args],
    );
  }

  /** Keeps this instance's users present and sweeps the users of instances that died. */
  private async tick(): Promise<void> {
    const results = await Promise.allSettled(
      [...this.held].map(([documentId, users]) =>
        this.run(documentId, 'tick', ...[...users].map((userId) => this.member(userId))),
      ),
    );
    const failed = results.filter((result) => result.status === 'rejected');
    if (failed.length > 0) {
      this.logger.warn(
        `Could not refresh presence on ${failed.length} document(s): ${String(failed[0].reason)}`,
      );
    }
  }

  private onReady(): void {
    if (!this.handlers) return;
    // Subscribing again is harmless when ioredis already resubscribed by itself.
    this.redis.subscriber.subscribe(CHANNELS.presence).catch((error: unknown) => {
      this.logger.error(`Could not subscribe to presence: ${String(error)}`);
    });
    if (this.wasReady) {
      this.logger.warn('Presence subscription restored: presence streams start over');
      void this.tick();
      this.handlers.resync();
    }
    this.wasReady = true;
  }

  private receive(message: string): void {
    let decoded: ReturnType<typeof decodePresenceMessage>;
    try {
      decoded = decodePresenceMessage(message);
    } catch {
      this.logger.warn('Ignored a presence message that is not JSON');
      return;
    }
    if (decoded) this.handlers?.event(decoded.documentId, decoded.event);
  }
}
