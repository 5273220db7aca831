import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from 'prom-client';
import { AppConfig } from '../config.js';
import { KNOWN_NOTIFICATION_TYPES, OTHER_TYPE, typeLabel } from './notification-type-label.js';

/** Where a storage error happened; a fixed set, so the label stays bounded. */
export type StorageOperation = 'append' | 'request' | 'stream' | 'connection';
const STORAGE_OPERATIONS: readonly StorageOperation[] = [
  'append',
  'request',
  'stream',
  'connection',
];

/** Every metric name starts with it, so the service's series are easy to find. */
const PREFIX = 'notification_hub_';

/**
 * The process metrics (CPU, memory, event loop lag, GC...). They describe the process,
 * not an app, and prom-client installs perf_hooks observers for them that can never be
 * removed, so they are collected once per process and registered into every app's
 * registry rather than re-created with each app (tests start many apps in one process).
 */
let processMetrics: Metric[] | null = null;
function sharedProcessMetrics(): Metric[] {
  if (!processMetrics) {
    const registry = new Registry();
    // The event-loop lag is sampled every 100 ms, not every 10: the 10 ms timer was most
    // of what an idle instance spends (issue 17: 0.16 of its 0.2 CPU seconds in 20 s).
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
    // The metric objects themselves (prom-client's typings narrow them to their fields).
    processMetrics = registry.getMetricsAsArray() as unknown as Metric[];
  }
  return processMetrics;
}

/**
 * The service's Prometheus metrics, in a registry of this app's own (never prom-client's
 * global one), so that several apps in one process each count only their own events.
 * Labels never carry user ids: their number is unbounded.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly backend: 'sqlite' | 'redis';
  /** Open streams by kind, read at scrape time (see {@link countStreamsWith}). */
  private openStreamsByKind: () => Iterable<[kind: string, open: number]> = () => [];

  /**
   * No `instance` label: Prometheus sets `instance` (and `job`) on every series from the
   * target it scrapes, so a label of that name here would be overwritten or renamed.
   */
  readonly streamsOpen = new Gauge({
    name: `${PREFIX}streams_open`,
    help: 'Server-Sent Events streams open on this instance (notification and resource streams)',
    registers: [this.registry],
  });
  readonly streamsOpenByKind = new Gauge({
    name: `${PREFIX}streams_open_by_kind`,
    help: 'Server-Sent Events streams open on this instance, by kind (notifications, timeline, presence)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    // Counted when scraped, from the registries themselves: nothing to do per stream.
    collect: () => {
      for (const [kind, open] of this.openStreamsByKind())
        this.streamsOpenByKind.set({ kind }, open);
    },
  });
  readonly httpRequestSeconds = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests, from arrival to the last byte of the response, by method, route template (never the raw path; "unmatched" when no route took it) and status; streams are not timed',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly streamsOpened = new Counter({
    name: `${PREFIX}streams_opened_total`,
    help: 'Server-Sent Events streams opened',
    registers: [this.registry],
  });
  readonly streamsClosed = new Counter({
    name: `${PREFIX}streams_closed_total`,
    help: 'Server-Sent Events streams closed, whoever ended them',
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: `${PREFIX}notifications_published_total`,
    help: `Notifications stored and published through this instance, by type (types the service does not publish itself count as "${OTHER_TYPE}")`,
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: `${PREFIX}deliveries_total`,
    help: 'Live notification frames handed to the open streams of this instance',
    registers: [this.registry],
  });
  /**
   * What the feed brought: `routed="true"` counts the notifications this instance routed,
   * `routed="false"` those it skipped unparsed (no stream here for the recipient: the first
   * of a type or of a history, which every instance hears, or a user's last stream closed).
   */
  readonly fed = new Counter({
    name: `${PREFIX}feed_notifications_total`,
    help: 'Notifications the feed brought to this instance: routed (a broadcast, or a recipient with a stream here) or skipped unparsed',
    labelNames: ['routed'] as const,
    registers: [this.registry],
  });
  /** Bound once: counted on every notification of the feed. */
  private readonly fedRouted = this.fed.labels({ routed: 'true' });
  private readonly fedSkipped = this.fed.labels({ routed: 'false' });
  readonly replayed = new Counter({
    name: `${PREFIX}replayed_total`,
    help: 'Notifications replayed from the store to resuming or catching-up streams',
    registers: [this.registry],
  });
  readonly resets = new Counter({
    name: `${PREFIX}resets_total`,
    help: 'reset events sent: a resume cursor that could not be honoured',
    registers: [this.registry],
  });
  readonly slowConsumersDropped = new Counter({
    name: `${PREFIX}slow_consumers_dropped_total`,
    help: 'Streams (of every kind) closed because what they held exceeded MAX_BUFFERED_BYTES',
    registers: [this.registry],
  });
  readonly fanoutSeconds = new Histogram({
    name: `${PREFIX}fanout_seconds`,
    help: 'From a notification reaching this instance to its last write to a local stream',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly storageErrors = new Counter({
    name: `${PREFIX}storage_errors_total`,
    help: 'Store and Redis errors, by backend and by where they happened',
    labelNames: ['backend', 'operation'] as const,
    registers: [this.registry],
  });
  /** _count: commits, _sum: appends they held (group commit: SQLite transactions, Redis pipelines). */
  readonly appendsPerCommit = new Histogram({
    name: `${PREFIX}store_appends_per_commit`,
    help: 'Appends (publish requests) written together: in one SQLite transaction, or one Redis pipeline',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  constructor(config: AppConfig) {
    this.backend = config.redisUrl ? 'redis' : 'sqlite';
    for (const metric of sharedProcessMetrics()) this.registry.registerMetric(metric);
    // Every known label value starts at 0, so that rate() and alerts see a series at once.
    this.streamsOpen.set(0);
    for (const type of [...KNOWN_NOTIFICATION_TYPES, OTHER_TYPE]) this.published.inc({ type }, 0);
    this.fedRouted.inc(0);
    this.fedSkipped.inc(0);
    for (const operation of STORAGE_OPERATIONS) {
      this.storageErrors.inc({ backend: this.backend, operation }, 0);
    }
  }

  streamOpened(): void {
    this.streamsOpened.inc();
    this.streamsOpen.inc();
  }

  streamClosed(): void {
    this.streamsClosed.inc();
    this.streamsOpen.dec();
  }

  /** Where the open streams by kind are counted from (the StreamHub, at its start). */
  countStreamsWith(source: () => Iterable<[kind: string, open: number]>): void {
    this.openStreamsByKind = source;
  }

  /** The feed brought a notification: routed here, or skipped. */
  notificationFed(routed: boolean): void {
    (routed ? this.fedRouted : this.fedSkipped).inc();
  }

  notificationsPublished(types: readonly string[]): void {
    for (const type of types) this.published.inc({ type: typeLabel(type) });
  }

  /**
   * `count` notification frames were handed to local streams; `startedAt` is
   * `performance.now()` when the notification reached this instance.
   */
  delivered(count: number, startedAt: number): void {
    if (count === 0) return;
    this.deliveries.inc(count);
    this.fanoutSeconds.observe((performance.now() - startedAt) / 1000);
  }

  storageError(operation: StorageOperation): void {
    this.storageErrors.inc({ backend: this.backend, operation });
  }
}
