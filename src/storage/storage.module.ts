import { DynamicModule, Global, Injectable, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config.js';
import { DocumentStore } from './document-store.js';
import { IdempotencyStore } from './idempotency-store.js';
import { LocalNotificationFeed } from './local-notification-feed.js';
import { NotificationFeed } from './notification-feed.js';
import { NotificationStore } from './notification-store.js';
import { PreferenceStore } from './preference-store.js';
import { KEY_PREFIX, RedisConnections } from './redis/redis-connections.js';
import { RedisDocumentStore } from './redis/redis-document-store.js';
import { RedisIdempotencyStore } from './redis/redis-idempotency-store.js';
import {
  NOTIFICATIONS_CHANNEL,
  RedisNotificationFeed,
  TIMELINES_CHANNEL,
} from './redis/redis-notification-feed.js';
import { RedisNotificationStore } from './redis/redis-notification-store.js';
import { RedisPreferenceStore } from './redis/redis-preference-store.js';
import { RedisTimelineStore } from './redis/redis-timeline-store.js';
import { SqliteDatabase } from './sqlite/sqlite-database.js';
import { SqliteDocumentStore } from './sqlite/sqlite-document-store.js';
import { SqliteIdempotencyStore } from './sqlite/sqlite-idempotency-store.js';
import { SqliteNotificationStore } from './sqlite/sqlite-notification-store.js';
import { SqlitePreferenceStore } from './sqlite/sqlite-preference-store.js';
import { SqliteTimelineStore } from './sqlite/sqlite-timeline-store.js';
import { StorageStatus } from './storage-status.js';
import { TimelineStore } from './timeline-store.js';

@Injectable()
class SqliteStatus extends StorageStatus {
  readonly backend = 'sqlite';

  constructor(private readonly database: SqliteDatabase) {
    super();
  }

  isReady(): Promise<boolean> {
    return Promise.resolve(this.database.db.open);
  }
}

@Injectable()
class RedisStatus extends StorageStatus {
  readonly backend = 'redis';

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async isReady(): Promise<boolean> {
    if (!this.redis.ready) return false;
    try {
      return (await this.redis.commands.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
}

const embedded: Provider[] = [
  SqliteDatabase,
  { provide: NotificationStore, useClass: SqliteNotificationStore },
  { provide: PreferenceStore, useClass: SqlitePreferenceStore },
  { provide: DocumentStore, useClass: SqliteDocumentStore },
  { provide: TimelineStore, useClass: SqliteTimelineStore },
  { provide: NotificationFeed, useClass: LocalNotificationFeed },
  { provide: StorageStatus, useClass: SqliteStatus },
  { provide: IdempotencyStore, useClass: SqliteIdempotencyStore },
];

const redis: Provider[] = [
  RedisConnections,
  {
    provide: NotificationStore,
    inject: [RedisConnections],
    useFactory: ({ commands }: RedisConnections) =>
      new RedisNotificationStore(commands, {
        keyPrefix: KEY_PREFIX,
        channel: NOTIFICATIONS_CHANNEL,
      }),
  },
  {
    provide: PreferenceStore,
    inject: [RedisConnections],
    useFactory: ({ commands }: RedisConnections) =>
      new RedisPreferenceStore(commands, { keyPrefix: KEY_PREFIX }),
  },
  {
    provide: DocumentStore,
    inject: [RedisConnections],
    useFactory: ({ commands }: RedisConnections) =>
      new RedisDocumentStore(commands, { keyPrefix: KEY_PREFIX }),
  },
  {
    provide: TimelineStore,
    inject: [RedisConnections],
    useFactory: ({ commands }: RedisConnections) =>
      new RedisTimelineStore(commands, { keyPrefix: KEY_PREFIX, channel: TIMELINES_CHANNEL }),
  },
  { provide: NotificationFeed, useClass: RedisNotificationFeed },
  { provide: StorageStatus, useClass: RedisStatus },
  {
    provide: IdempotencyStore,
    inject: [RedisConnections],
    useFactory: ({ commands }: RedisConnections) =>
      new RedisIdempotencyStore(commands, { keyPrefix: KEY_PREFIX }),
  },
];

/**
 * Chooses the backends once, from the configuration: the embedded SQLite store and an
 * in-process feed by default, or Redis for store and feed when REDIS_URL is set.
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: config.redisUrl ? redis : embedded,
      exports: [
        NotificationStore,
        PreferenceStore,
        DocumentStore,
        TimelineStore,
        NotificationFeed,
        StorageStatus,
        IdempotencyStore,
        // Presence keeps its own keys and channel on the same two connections.
        ...(config.redisUrl ? [RedisConnections] : []),
      ],
    };
  }
}
