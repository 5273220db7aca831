/**
 * Cursors are opaque to clients; inside the service every backend issues them as
 * decimal integers from one increasing sequence, so they can be checked and ordered.
 */
const CURSOR = /^[1-9][0-9]{0,15}$/;

/** The cursor as a number, or null when it is not one this service could have issued. */
export function parseCursor(cursor: string): number | null {
  return CURSOR.test(cursor) ? Number(cursor) : null;
}

export function formatCursor(sequence: number): string {
  return String(sequence);
}

/** Whether cursor `a` comes after cursor `b`; both must be valid cursors. */
export function isAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
