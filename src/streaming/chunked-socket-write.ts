import type { ServerResponse } from 'node:http';
import type { Chunk } from './sse-connection.js';

/**
 * Writing an event to an open SSE response the way Node's `response.write` does, for
 * less: a chunked response's write makes four buffers (the size in hex, CRLF, the data,
 * CRLF), corks the socket and uncorks it on the next tick with one `writev` per stream.
 * A broadcast does that once per stream, and it was most of the service's CPU per
 * broadcast beyond the floor's. Here the chunk is framed once per Buffer (a broadcast
 * writes the same Buffer to every stream) and handed to the socket as one write.
 *
 * It relies on Node's `chunkedEncoding` (declared by @types/node, not documented):
 * chunked-socket-write.spec.ts fails when a Node upgrade changes it. Anything else the
 * response might have queued (corked, not started, ended, socket gone) takes Node's path,
 * so bytes never overtake the response's own.
 */
export function writeChunked(
  response: ServerResponse,
  chunk: Chunk,
  // Node's own `write` of the response, for the cases it must do.
  nodeWrite: (this: ServerResponse, chunk: Chunk) => boolean,
): boolean {
  const socket = response.socket;
  if (
    socket === null ||
    socket.destroyed ||
    !response.chunkedEncoding ||
    !response.headersSent ||
    response.writableEnded ||
    response.writableCorked !== 0
  ) {
    return nodeWrite.call(response, chunk);
  }
  const framed = chunked(chunk);
  // An empty chunk would be the response's last ("0\r\n\r\n"): nothing to write.
  return framed === null ? true : socket.write(framed);
}

/** Whether a direct write left the socket asking to be waited for (see {@link writeChunked}). */
export function socketNeedsDrain(response: ServerResponse): boolean {
  return response.socket?.writableNeedDrain ?? false;
}

const CRLF = Buffer.from('\r\n');
/** Buffers written to many streams, in their chunked form, built once each. */
const framedOnce = new WeakMap<Buffer, Buffer>();

function chunked(chunk: Chunk): Chunk | null {
  if (typeof chunk === 'string') {
    const size = Buffer.byteLength(chunk);
    return size === 0 ? null : `${size.toString(16)}\r\n${chunk}\r\n`;
  }
  if (chunk.byteLength === 0) return null;
  let framed = framedOnce.get(chunk);
  if (!framed) {
    framed = Buffer.concat([Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, CRLF]);
    framedOnce.set(chunk, framed);
  }
  return framed;
}
