import { BUILT_IN_NOTIFICATION_TYPES } from '../notifications/notification.js';

/**
 * `POST /notifications` lets callers choose any type, so a type label taken as sent would
 * let one client create unbounded time series: only the built-in types are labels, every
 * other type is counted under {@link OTHER_TYPE}.
 */
export const KNOWN_NOTIFICATION_TYPES = BUILT_IN_NOTIFICATION_TYPES;

export const OTHER_TYPE = 'other';

const known = new Set<string>(KNOWN_NOTIFICATION_TYPES);

/** The `type` label value for a notification type: bounded cardinality. */
export function typeLabel(type: string): string {
  return known.has(type) ? type : OTHER_TYPE;
}
