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
 * workflow. Backends also hand every appended event to the feed, in order.
 */
export abstract class TimelineStore {
  /** Appends the drafts in order, all or none. */
  abstract append(workflowId: string, drafts: readonly TimelineDraft[]): Promise<TimelineEvent[]>;

  /** Up to `limit` events after `cursor` (from the start for null), oldest first. */
  abstract readAfter(
    workflowId: string,
    cursor: string | null,
    limit: number,
  ): Promise<TimelineEvent[]>;

  /** The cursor of the workflow's last event, or null while its timeline is empty. */
  abstract latestCursor(workflowId: string): Promise<string | null>;
}
