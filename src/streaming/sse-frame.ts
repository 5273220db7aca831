/**
 * Server-Sent Events framing, as pure functions returning the exact bytes sent.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * Data is always one line: callers pass JSON, whose string escapes turn every
 * CR and LF into `\r` / `\n`, so no value can end a field or start a new event.
 * The id and event name are checked too, since a line break there would let a
 * value forge fields.
 */
const LINE_BREAK = /[\r\n]/;

export interface SseEvent {
  /** The cursor; omitted for control events so they never move a client's Last-Event-ID. */
  id?: string;
  /** The event name; omitted means the default `message`. */
  event?: string;
  /** One line, usually JSON. */
  data: string;
}

export function frameEvent({ id, event, data }: SseEvent): string {
  let frame = '';
  if (id !== undefined) frame += `id: ${singleLine('id', id)}\n`;
  if (event !== undefined) frame += `event: ${singleLine('event', event)}\n`;
  return `${frame}data: ${singleLine('data', data)}\n\n`;
}

/** A control event: named, JSON data, and no `id:` line. */
export function frameControl(event: string, payload: unknown): string {
  return frameEvent({ event, data: JSON.stringify(payload) });
}

/** The reconnection delay the client should use, in milliseconds. */
export function frameRetry(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`retry must be a whole number: ${ms}`);
  return `retry: ${ms}\n\n`;
}

/** A comment: ignored by clients, it keeps proxies and idle timers from closing the stream. */
export function frameComment(text = ''): string {
  return `:${text === '' ? '' : ' ' + singleLine('comment', text)}\n\n`;
}

function singleLine(field: string, value: string): string {
  if (LINE_BREAK.test(value)) throw new RangeError(`SSE ${field} must not contain a line break`);
  return value;
}
