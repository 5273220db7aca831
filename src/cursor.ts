/**
 * Cursors are opaque to clients. Inside the service each one is a decimal sequence number
 * from one increasing sequence, followed, when the store's history has an epoch, by `-`
 * and that epoch: `42` (the embedded store, whose history cannot be lost under a running
 * service) or `42-9f3c01d2aa` (Redis, which can come back empty or roll back). A history
 * that is lost and started again gets a new epoch, so cursors of the old one are never
 * mistaken for, or ordered against, cursors of the new one.
 */
const CURSOR = /^([1-9][0-9]{0,15})(?:-([0-9a-f]{1,32}))?$/;

/** Any cursor this service could have issued, whatever its epoch (for validation). */
export const CURSOR_PATTERN = CURSOR;

/** A cursor's place in its history, and which history. */
export interface CursorParts {
  sequence: number;
  /** '' for a history without an epoch (the embedded store). */
  epoch: string;
}

/** The cursor's parts, or null when it is not one this service could have issued. */
export function splitCursor(cursor: string): CursorParts | null {
  const match = CURSOR.exec(cursor);
  return match ? { sequence: Number(match[1]), epoch: match[2] ?? '' } : null;
}

/**
 * The cursor's sequence number when it belongs to the history of `epoch` (by default the
 * epoch-less one), else null: a cursor of another history says nothing about this one.
 */
export function parseCursor(cursor: string, epoch = ''): number | null {
  const parts = splitCursor(cursor);
  return parts !== null && parts.epoch === epoch ? parts.sequence : null;
}

export function formatCursor(sequence: number, epoch = ''): string {
  return epoch === '' ? String(sequence) : `${sequence}-${epoch}`;
}

/** The epoch of a valid cursor ('' for none), or null for anything else. */
export function cursorEpoch(cursor: string): string | null {
  return splitCursor(cursor)?.epoch ?? null;
}

/**
 * Whether cursor `a` comes after cursor `b`; both must be valid cursors. A cursor of
 * another history than `b`'s counts as after it: the two cannot be ordered, and taking
 * it for one already sent would drop it silently.
 */
export function isAfter(a: string, b: string): boolean {
  // On every delivery to every stream: no parsing, and no string made.
  const aEnd = sequenceEnd(a);
  const bEnd = sequenceEnd(b);
  if (!sameEpoch(a, aEnd, b, bEnd)) return true;
  // Sequences without leading zeros: the longer is the larger; of equal length, with the
  // same epoch after them, the whole strings order as the sequences do.
  return aEnd !== bEnd ? aEnd > bEnd : a > b;
}

/** Whether two valid cursors are of one history (the same epoch). */
export function sameHistory(a: string, b: string): boolean {
  return sameEpoch(a, sequenceEnd(a), b, sequenceEnd(b));
}

/** Whether what follows each cursor's sequence number (its epoch, or nothing) is the same. */
function sameEpoch(a: string, aEnd: number, b: string, bEnd: number): boolean {
  const length = a.length - aEnd;
  return length === b.length - bEnd && (length === 0 || a.endsWith(b.slice(bEnd)));
}

/** Where a valid cursor's sequence number ends (and its epoch, if any, begins). */
function sequenceEnd(cursor: string): number {
  const dash = cursor.indexOf('-');
  return dash === -1 ? cursor.length : dash;
}
