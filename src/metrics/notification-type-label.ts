/**
 * The notification types the service itself publishes. `POST /notifications` lets
 * callers choose any type, so a type label taken as sent would let one client create
 * unbounded time series; every other type is counted under {@link OTHER_TYPE}.
 */
export const KNOWN_NOTIFICATION_TYPES = [
  'message.created',
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'announcement',
] as const;

export const OTHER_TYPE = 'other';

const known = new Set<string>(KNOWN_NOTIFICATION_TYPES);

/** The `type` label value for a notification type: bounded cardinality. */
export function typeLabel(type: string): string {
  return known.has(type) ? type : OTHER_TYPE;
}
