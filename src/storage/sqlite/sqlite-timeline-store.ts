import { Injectable } from '@nestjs/common';
import { formatCursor, parseCursor } from '../../cursor.js';
import { LocalLiveFeed } from '../memory/local-live-feed.js';
import { TimelineDraft, TimelineEvent, TimelineStore } from '../timeline-store.js';
import { settle } from './settle.js';
import { SqliteDatabase } from './sqlite-database.js';

/**
 * The embedded {@link TimelineStore}: one row per event, numbered per workflow, and one
 * per workflow with the time of its last append (for {@link TimelineStore.prune}). Appended
 * events go to the in-process feed once committed, in order.
 */
@Injectable()
export class SqliteTimelineStore extends TimelineStore {
  private readonly last;
  private readonly insert;
  private readonly after;
  private readonly touch;
  private readonly deleteOld;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly feed: LocalLiveFeed,
  ) {
    super();
    const { db } = database;
    this.last = db.prepare(
      'SELECT coalesce(max(seq), 0) AS seq FROM timeline_events WHERE workflow_id = ?',
    );
    this.insert = db.prepare(
      'INSERT INTO timeline_events (workflow_id, seq, type, data) VALUES (?, ?, ?, ?)',
    );
    this.touch = db.prepare(
      `INSERT INTO timeline_touches (workflow_id, touched_at) VALUES (?, ?)
       ON CONFLICT (workflow_id) DO UPDATE SET touched_at = excluded.touched_at`,
    );
    this.deleteOld = {
      events: db.prepare(
        `DELETE FROM timeline_events WHERE workflow_id IN
           (SELECT workflow_id FROM timeline_touches WHERE touched_at < ?)`,
      ),
      touches: db.prepare('DELETE FROM timeline_touches WHERE touched_at < ?'),
    };
    this.after = db.prepare(
      'SELECT seq, type, data FROM timeline_events WHERE workflow_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
  }

  async append(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]> {
    const events = await this.write(workflowId, drafts);
    this.feed.timelineAppended(workflowId, events);
    return events;
  }

  private write(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]> {
    return settle(() =>
      this.database.db.transaction(() => {
        let { seq } = this.last.get(workflowId) as { seq: number };
        this.touch.run(workflowId, Date.now());
        return drafts.map((draft) => {
          seq += 1;
          this.insert.run(workflowId, seq, draft.type, JSON.stringify(draft.data));
          return { id: formatCursor(seq), type: draft.type, data: draft.data };
        });
      })(),
    );
  }

  /** Deletes the timelines last appended to before `cutoff`, whole. */
  prune(cutoff: Date): Promise<number> {
    return settle(() =>
      this.database.db.transaction(() => {
        this.deleteOld.events.run(cutoff.getTime());
        return this.deleteOld.touches.run(cutoff.getTime()).changes;
      })(),
    );
  }

  readAfter(workflowId: string, cursor: string | null, limit: number): Promise<TimelineEvent[]> {
    return settle(() =>
      (
        this.after.all(workflowId, cursor === null ? 0 : (parseCursor(cursor) ?? 0), limit) as {
          seq: number;
          type: TimelineEvent['type'];
          data: string;
        }[]
      ).map((row) => ({
        id: formatCursor(row.seq),
        type: row.type,
        data: JSON.parse(row.data) as Record<string, unknown>,
      })),
    );
  }

  latestCursor(workflowId: string): Promise<string | null> {
    return settle(() => {
      const { seq } = this.last.get(workflowId) as { seq: number };
      return seq === 0 ? null : formatCursor(seq);
    });
  }
}
