import type { Response } from 'express';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import type { SseConnection, SseSink } from './sse-connection.js';

/**
 * Serves a connection through a Nest `@Sse` route and returns the Observable the
 * route hands to Nest. Its lifetime is the stream's: Nest subscribes when the
 * response starts and unsubscribes when the client leaves; completing it (the
 * server ending the stream) ends the response.
 *
 * Why the bytes bypass the Observable's values: Nest's `SseStream` gives every
 * message without an `id` a per-connection counter id, which would put `id:` on
 * `retry:` and on control events and corrupt the client's Last-Event-ID. Nest
 * pipes that stream into the response, so the stream is taken from the
 * response's standard `pipe` event and written pre-framed strings, which it
 * forwards unchanged (after committing the SSE headers). Each event is thus
 * framed once per publish, with exactly the id the service chose.
 *
 * `onOpen` runs once the stream has sent `retry:` (to start a replay, say).
 */
export function serveSse(
  response: Response,
  connection: SseConnection,
  onOpen: () => void = () => undefined,
): Observable<never> {
  let sink: SseSink | null = null;
  const capture = (source: Readable & SseSink) => {
    sink = measured(source, response);
  };
  response.once('pipe', capture);
  // A client that leaves before Nest subscribes would otherwise keep its slot.
  response.once('close', () => connection.close());
  return new Observable<never>((subscriber) => {
    response.off('pipe', capture);
    if (!sink) {
      connection.close('error');
      subscriber.error(new Error('Nest did not pipe an SSE stream into the response'));
      return;
    }
    connection.open(sink, () => subscriber.complete());
    onOpen();
    return () => connection.close();
  });
}

/**
 * Nest's stream with a measure of what it holds: characters written into it and not yet
 * handed on to the response (it stops handing on while the response is backed up), plus
 * what the response and its socket still buffer.
 */
function measured(stream: Readable & SseSink, response: Response): SseSink {
  let pending = 0;
  stream.on('data', (chunk: string) => {
    pending = Math.max(0, pending - chunk.length);
  });
  return {
    write: (chunk: string) => {
      pending += chunk.length;
      return stream.write(chunk);
    },
    buffered: () => pending + response.writableLength,
    abort: () => response.destroy(),
  };
}
