import type { Response } from 'express';
import { ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import type { Chunk, SseConnection, SseSink } from './sse-connection.js';

/**
 * Serves a connection through a Nest `@Sse` route and returns the Observable the
 * route hands to Nest. Its lifetime is the stream's: Nest subscribes when the
 * response starts and unsubscribes when the client leaves; completing it (the
 * server ending the stream) ends the response.
 *
 * Why the bytes bypass the Observable's values: Nest's `SseStream` gives every
 * message without an `id` a per-connection counter id, which would put `id:` on
 * `retry:` and on control events and corrupt the client's Last-Event-ID. And each
 * message would pass a Transform stream and a pipe before reaching the response: at
 * 10,000 streams per broadcast that machinery cost more than the socket writes. So
 * Nest keeps what it is good at (the route, the guards, committing the SSE headers
 * when it pipes its stream into the response, ending the response when the Observable
 * completes) and the connection writes its pre-framed strings straight into the
 * response, once Nest has piped (the response's standard `pipe` event). Each event is
 * thus framed once per publish, with exactly the id the service chose.
 *
 * `onOpen` runs once the stream has sent `retry:` (to start a replay, say).
 */
export function serveSse(
  response: Response,
  connection: SseConnection,
  onOpen: () => void = () => undefined,
): Observable<never> {
  let nestStream: NestSseStream | null = null;
  const capture = (source: NestSseStream) => {
    nestStream = source;
  };
  response.once('pipe', capture);
  // A client that leaves before Nest subscribes would otherwise keep its slot.
  response.once('close', () => connection.close());
  // One that left even earlier, while a guard or the route awaited something, had its
  // 'close' already, and Nest will never subscribe: without this its connection would
  // stay registered for good, counting against the limits and buffering every event.
  if (response.destroyed || response.req.socket?.destroyed) connection.close();
  return new Observable<never>((subscriber) => {
    response.off('pipe', capture);
    try {
      if (!nestStream) throw new Error('Nest did not pipe an SSE stream into the response');
      // Nest would commit the headers on its next timer tick or first message; the
      // connection writes `retry:` now, and straight into the response.
      nestStream.commitHeaders();
    } catch (error) {
      connection.close('error');
      subscriber.error(error);
      return;
    }
    connection.open(responseSink(response), () => subscriber.complete());
    onOpen();
    return () => connection.close();
  });
}

/** What this module needs of Nest's `SseStream` (it commits the SSE headers once). */
interface NestSseStream {
  commitHeaders(): void;
}

const nodeWrite = ServerResponse.prototype.write as (this: ServerResponse, chunk: Chunk) => boolean;

/**
 * The response as a sink. What it still buffers (its own queue and its socket's, which
 * `writableLength` adds up) is what a slow client holds in this process's memory.
 */
function responseSink(response: Response): SseSink {
  // Uncompressed, the gzip middleware's wrappers of `write` only pass the chunk on; a
  // broadcast writes to every stream, so such a stream writes to Node's response itself.
  const write =
    response.getHeader('Content-Encoding') === undefined
      ? (chunk: Chunk) => nodeWrite.call(response, chunk)
      : (chunk: Chunk) => response.write(chunk);
  return {
    write,
    buffered: () => response.writableLength,
    abort: () => response.destroy(),
    drained: () =>
      response.writableNeedDrain
        ? new Promise<void>((resolve) => {
            const done = () => {
              response.off('drain', done);
              response.off('close', done);
              resolve();
            };
            response.on('drain', done);
            response.on('close', done);
          })
        : null,
  };
}
