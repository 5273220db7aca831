import type { Response } from 'express';
import { EventEmitter } from 'node:events';
import { ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import { compressorOf } from '../compression/gzip-responses.js';
import { socketNeedsDrain, writeChunked } from './chunked-socket-write.js';
import { catchNestSseStream } from './nest-sse-internals.js';
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
 * response, once Nest has piped (see nest-sse-internals.ts). Each event is thus framed
 * once per publish, with exactly the id the service chose.
 *
 * `onOpen` runs once the stream has sent `retry:` (to start a replay, say).
 */
export function serveSse(
  response: Response,
  connection: SseConnection,
  onOpen: () => void = () => undefined,
): Observable<never> {
  // Let go of once taken: the Observable lives as long as the stream.
  let nestStream: ReturnType<typeof catchNestSseStream> | null = catchNestSseStream(response);
  // A client that leaves before Nest subscribes would otherwise keep its slot.
  (response as ConnectedResponse)[CONNECTION] = connection;
  response.on('close', closeConnection);
  // One that left even earlier, while a guard or the route awaited something, had its
  // 'close' already, and Nest will never subscribe: without this its connection would
  // stay registered for good, counting against the limits and buffering every event.
  if (response.destroyed || response.req.socket?.destroyed) connection.close();
  return new Observable<never>((subscriber) => {
    const piped = nestStream?.take();
    nestStream = null;
    try {
      if (!piped) throw new Error('Nest did not pipe an SSE stream into the response');
      // Nest would commit the headers on its next timer tick or first message; the
      // connection writes `retry:` now, and straight into the response.
      piped.commitHeaders();
    } catch (error) {
      connection.close('error');
      subscriber.error(error);
      return;
    }
    // Closed before Nest subscribed (dropped as a slow consumer for what it held): the
    // response ends at once, and the client resumes from its cursor.
    if (!connection.isOpen) {
      subscriber.complete();
      return;
    }
    connection.open(new ResponseSink(response), (reason) => {
      // On shutdown the connection closes once the response is complete, so that the
      // client's reconnect cannot reuse it and reach an instance that is going away.
      if (reason === 'shutdown') closeSocketOnFinish(response);
      subscriber.complete();
    });
    onOpen();
    return () => connection.close();
  });
}

/** The connection a response serves, for {@link closeConnection}. */
const CONNECTION = Symbol('sseConnection');
type ConnectedResponse = Response & { [CONNECTION]: SseConnection };

/**
 * Closes a response's connection when the response closes: one listener for all
 * streams, the connection kept on the response (a `once` closure per stream was a
 * closure, its context and a bound wrapper held for the stream's life, issue 16).
 */
function closeConnection(this: ConnectedResponse): void {
  this.off('close', closeConnection);
  this[CONNECTION].close();
}

const nodeWrite = ServerResponse.prototype.write as (this: ServerResponse, chunk: Chunk) => boolean;

/**
 * `compression` redirects `on('drain')` to its compressor: the response's own events are
 * listened to through EventEmitter's `on` (`off` is not redirected).
 */
const listen = (emitter: EventEmitter, event: string, listener: () => void) =>
  EventEmitter.prototype.on.call(emitter, event, listener);

/**
 * The response as a sink. What a slow client holds in this process's memory is what the
 * response still buffers (its own queue and its socket's, which `writableLength` adds up)
 * and, on a gzipped stream, what the compressor holds: the input queued for it and the
 * compressed output it keeps while the response is backed up (`compression` pauses it).
 * A class, not an object of closures: every idle stream holds one (issue 16).
 */
class ResponseSink implements SseSink {
  private readonly compressor: ReturnType<typeof compressorOf>;
  /**
   * Uncompressed, the gzip middleware's wrappers of `write` only pass the chunk on; a
   * broadcast writes to every stream, so such a stream writes to the socket itself, as
   * Node's response would (see chunked-socket-write.ts).
   */
  private readonly direct: boolean;

  constructor(private readonly response: Response) {
    this.compressor = compressorOf(response);
    this.direct = response.getHeader('Content-Encoding') === undefined;
  }

  write(chunk: Chunk): unknown {
    return this.direct ? writeChunked(this.response, chunk, nodeWrite) : this.response.write(chunk);
  }

  buffered(): number {
    const { response, compressor } = this;
    return compressor
      ? response.writableLength + compressor.writableLength + compressor.readableLength
      : response.writableLength;
  }

  abort(): void {
    this.response.destroy();
  }

  /**
   * Each of the signals 'drain' once it has asked to be waited for. Direct writes (see
   * chunked-socket-write.ts) leave it to the socket to signal 'drain'.
   */
  drained(): Promise<void> | null {
    const { response, compressor } = this;
    const socket = socketNeedsDrain(response) ? response.socket : null;
    if (!response.writableNeedDrain && !socket && !compressor?.writableNeedDrain) return null;
    return new Promise<void>((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        socket?.off('drain', done);
        compressor?.off('drain', done);
        resolve();
      };
      listen(response, 'drain', done);
      listen(response, 'close', done);
      socket?.on('drain', done);
      compressor?.on('drain', done);
    });
  }

  finished(): Promise<void> {
    const { response } = this;
    if (response.writableFinished || response.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      listen(response, 'finish', resolve);
      listen(response, 'close', resolve);
    });
  }
}

/** Closes the response's connection (after its last byte) once the response is complete. */
function closeSocketOnFinish(response: Response): void {
  const socket = response.socket;
  if (!socket) return;
  listen(response, 'finish', () => socket.end());
}
