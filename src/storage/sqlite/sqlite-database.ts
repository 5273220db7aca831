import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { AppConfig } from '../../config.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { DATABASE_FILE, prepareDataDir } from './data-dir.js';
import { GroupCommit } from './group-commit.js';

/** How long a write waits for a lock held by another connection before it fails. */
const BUSY_TIMEOUT_MS = 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    actor_id TEXT,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS notifications_by_recipient ON notifications (recipient, id);
  CREATE INDEX IF NOT EXISTS notifications_by_age ON notifications (created_at);
  CREATE TABLE IF NOT EXISTS notification_reads (
    user_id TEXT NOT NULL,
    notification_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, notification_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS read_marks (
    user_id TEXT PRIMARY KEY,
    read_through INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- At or below the user's read_through, yet marked unread again.
  CREATE TABLE IF NOT EXISTS notification_unreads (
    user_id TEXT NOT NULL,
    notification_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, notification_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS notification_archives (
    user_id TEXT NOT NULL,
    notification_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, notification_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS notification_archives_by_id ON notification_archives (notification_id);
  CREATE TABLE IF NOT EXISTS notification_types (
    type TEXT PRIMARY KEY
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS muted_types (
    user_id TEXT NOT NULL,
    type TEXT NOT NULL,
    PRIMARY KEY (user_id, type)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS timeline_events (
    workflow_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (workflow_id, seq)
  ) WITHOUT ROWID;
  -- The last append to each workflow's timeline (ms), for retention.
  CREATE TABLE IF NOT EXISTS timeline_touches (
    workflow_id TEXT PRIMARY KEY,
    touched_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS timeline_touches_by_age ON timeline_touches (touched_at);
  -- touched_at: the last insert or update (ms), for retention.
  CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    touched_at INTEGER NOT NULL,
    PRIMARY KEY (collection, id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS document_index (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (collection, id, key)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS document_index_by_key ON document_index (collection, key, seq);
`;

/**
 * The embedded store's one SQLite file, `<DATA_DIR>/notifications.db`, created with
 * its schema on first start. WAL mode lets readers (replays, inbox pages) go on
 * while a publish writes; `synchronous = NORMAL` is durable across process crashes,
 * the failure this embedded mode guards against: a commit is in the WAL file before its
 * request is answered, and a process killed right after finds it on restart (only an OS
 * crash or power loss may lose the last commits; FULL would fsync each commit for that).
 * Concurrent publishes share one commit ({@link GroupCommit}).
 */
@Injectable()
export class SqliteDatabase implements OnApplicationShutdown {
  readonly db: Database.Database;
  /** Where concurrent appends are batched into one transaction. */
  readonly groupCommit: GroupCommit;
  private readonly logger = new Logger(SqliteDatabase.name);

  constructor(config: AppConfig, @Optional() metrics?: MetricsService) {
    // Created and proven writable already at start-up (main.ts); again for the tests' apps.
    const file = join(prepareDataDir(config.dataDir), DATABASE_FILE);
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.addRetention();
    this.db.exec('CREATE INDEX IF NOT EXISTS documents_by_age ON documents (touched_at)');
    this.groupCommit = new GroupCommit(this.db, (writes) =>
      metrics?.appendsPerCommit.observe(writes),
    );
    this.logger.log(`Embedded store: ${file}`);
  }

  /**
   * A database created before documents and timelines had a retention: its documents get
   * a touched_at and its timelines a row in timeline_touches, both now, so that they are
   * kept a full retention from the upgrade rather than pruned at once.
   */
  private addRetention(): void {
    const columns = this.db.pragma('table_info(documents)') as { name: string }[];
    if (columns.some((column) => column.name === 'touched_at')) return;
    const now = Date.now();
    this.db.transaction(() => {
      this.db.exec('ALTER TABLE documents ADD COLUMN touched_at INTEGER NOT NULL DEFAULT 0');
      this.db.prepare('UPDATE documents SET touched_at = ?').run(now);
      this.db
        .prepare(
          `INSERT OR IGNORE INTO timeline_touches (workflow_id, touched_at)
           SELECT DISTINCT workflow_id, ? FROM timeline_events`,
        )
        .run(now);
    })();
  }

  onApplicationShutdown(): void {
    if (!this.db.open) return;
    // Writes already accepted are committed (and answered) rather than failed by the close.
    this.groupCommit.flush();
    this.db.close();
  }
}
