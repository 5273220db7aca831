import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PresenceState } from '../presence/presence-state.js';
import { TicketStore } from '../tickets/ticket-store.js';
import { DocumentStore } from './document-store.js';
import { IdempotencyStore } from './idempotency-store.js';
import { LiveFeed } from './live-feed.js';
import { InMemoryPresenceState } from './memory/in-memory-presence-state.js';
import { InMemoryTicketStore } from './memory/in-memory-ticket-store.js';
import { LocalLiveFeed } from './memory/local-live-feed.js';
import { MemoryRateLimitCounters } from './memory/memory-rate-limit-counters.js';
import { NotificationStore } from './notification-store.js';
import { PreferenceStore } from './preference-store.js';
import { RateLimitCounters } from './rate-limit-counters.js';
import { KEY_PREFIX, RedisConnections } from './redis/redis-connections.js';
import { RedisDocumentStore } from './redis/redis-document-store.js';
import { RedisIdempotencyStore } from './redis/redis-idempotency-store.js';
import { RedisLiveFeed } from './redis/redis-live-feed.js';
import { RedisNotificationStore } from './redis/redis-notification-store.js';
import { RedisPreferenceStore } from './redis/redis-preference-store.js';
import { RedisPresenceState } from './redis/redis-presence-state.js';
import { RedisRateLimitCounters } from './redis/redis-rate-limit-counters.js';
import { RedisStatus } from './redis/redis-status.js';
import { RedisTicketStore } from './redis/redis-ticket-store.js';
import { RedisTimelineStore } from './redis/redis-timeline-store.js';
import { SqliteDatabase } from './sqlite/sqlite-database.js';
import { SqliteDocumentStore } from './sqlite/sqlite-document-store.js';
import { SqliteIdempotencyStore } from './sqlite/sqlite-idempotency-store.js';
import { SqliteNotificationStore } from './sqlite/sqlite-notification-store.js';
import { SqlitePreferenceStore } from './sqlite/sqlite-preference-store.js';
import { SqliteStatus } from './sqlite/sqlite-status.js';
import { SqliteTimelineStore } from './sqlite/sqlite-timeline-store.js';
import { StorageStatus } from './storage-status.js';
import { TimelineStore } from './timeline-store.js';

/** One process: SQLite on disk, the rest in memory; the stores' writes feed {@link LocalLiveFeed}. */
const embedded: Provider[] = [
  SqliteDatabase,
  LocalLiveFeed,
  { provide: LiveFeed, useExisting: LocalLiveFeed },
  { provide: NotificationStore, useClass: SqliteNotificationStore },
  { provide: PreferenceStore, useClass: SqlitePreferenceStore },
  { provide: DocumentStore, useClass: SqliteDocumentStore },
  { provide: TimelineStore, useClass: SqliteTimelineStore },
  { provide: TicketStore, useFactory: () => new InMemoryTicketStore() },
  { provide: PresenceState, useClass: InMemoryPresenceState },
  { provide: RateLimitCounters, useClass: MemoryRateLimitCounters },
  { provide: StorageStatus, useClass: SqliteStatus },
  { provide: IdempotencyStore, useClass: SqliteIdempotencyStore },
];

/** A provider built on the instance's Redis command connection. */
function onCommands<T>(
  provide: abstract new (...args: never[]) => T,
  create: (commands: Redis) => T,
): Provider {
  return {
    provide,
    inject: [RedisConnections],
    useFactory: ({ commands }: RedisConnections) => create(commands),
  };
}

/** Any number of instances sharing one Redis, on each instance's two connections. */
const redis = ({ retentionMs }: AppConfig): Provider[] => [
  RedisConnections,
  { provide: LiveFeed, useClass: RedisLiveFeed },
  {
    provide: NotificationStore,
    inject: [RedisConnections, { token: MetricsService, optional: true }],
    useFactory: ({ commands }: RedisConnections, metrics?: MetricsService) =>
      new RedisNotificationStore(commands, {
        keyPrefix: KEY_PREFIX,
        onBatch: (appends) => metrics?.appendsPerCommit.observe(appends),
      }),
  },
  onCommands(PreferenceStore, (c) => new RedisPreferenceStore(c, { keyPrefix: KEY_PREFIX })),
  onCommands(
    DocumentStore,
    (c) => new RedisDocumentStore(c, { keyPrefix: KEY_PREFIX, retentionMs }),
  ),
  onCommands(
    TimelineStore,
    (c) => new RedisTimelineStore(c, { keyPrefix: KEY_PREFIX, retentionMs }),
  ),
  onCommands(TicketStore, (c) => new RedisTicketStore(c, KEY_PREFIX)),
  { provide: PresenceState, useClass: RedisPresenceState },
  onCommands(RateLimitCounters, (c) => new RedisRateLimitCounters(c)),
  onCommands(IdempotencyStore, (c) => new RedisIdempotencyStore(c, { keyPrefix: KEY_PREFIX })),
  { provide: StorageStatus, useClass: RedisStatus },
];

/**
 * Every storage port of the service, and the one place where the backend is chosen, from
 * the configuration: embedded (SQLite and in-process state) by default, or Redis for all
 * of them when REDIS_URL is set. The implementations live in sqlite/, memory/ and redis/.
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: config.redisUrl ? redis(config) : embedded,
      exports: [
        NotificationStore,
        PreferenceStore,
        DocumentStore,
        TimelineStore,
        TicketStore,
        PresenceState,
        LiveFeed,
        RateLimitCounters,
        StorageStatus,
        IdempotencyStore,
      ],
    };
  }
}
