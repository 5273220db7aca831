/** What a workflow's timeline records (CONTRACT.md, "Resource streams"). */
export type TimelineEventType =
  'workflow.started' | 'workflow.approved' | 'workflow.rejected' | 'workflow.cancelled' | 'log';

export interface TimelineDraft {
  type: TimelineEventType;
  data: Record<string, unknown>;
}

export interface TimelineEvent extends TimelineDraft {
  /** The cursor within the workflow: 1, 2, 3... in append order. */
  id: string;
}

/** The types that finish a workflow: its timeline stream ends after them. */
export const FINAL_TIMELINE_EVENTS: readonly TimelineEventType[] = [
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
];

/**
 * Each workflow's timeline, like a build log: append-only, cursors increasing per
 * workflow. A timeline is kept for the retention (RETENTION_DAYS) after its last append,
 * then goes whole; a backend whose entries expire by themselves does so, the others
 * delete in {@link TimelineStore.prune}.
 */
export abstract class TimelineStore {
  /**
   * Appends the drafts in order, all or none, and publishes the appended events on the
   * {@link LiveFeed} as part of the write, in cursor order (see live-feed.ts for why the
   * store and not its caller publishes). When a request that may run again
   * (request-writes.ts) already made this append in an earlier run, resolves with that
   * run's events, appending nothing.
   */
  abstract append(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]>;

  /** Up to `limit` events after `cursor` (from the start for null), oldest first. */
  abstract readAfter(
    workflowId: string,
    cursor: string | null,
    limit: number,
  ): Promise<TimelineEvent[]>;

  /** The cursor of the workflow's last event, or null while its timeline is empty. */
  abstract latestCursor(workflowId: string): Promise<string | null>;

  /** Forgets the timelines last appended to before `cutoff`; resolves with how many went. */
  abstract prune(cutoff: Date): Promise<number>;
}
