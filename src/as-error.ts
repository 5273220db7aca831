/** What was thrown, as an Error (a rejection or a log line needs one; anything may be thrown). */
export const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));
