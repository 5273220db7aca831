import compression from 'compression';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Transform } from 'node:stream';

/**
 * gzip for every response whose client accepts it (`Accept-Encoding`), streams included
 * (CONTRACT.md: "a compressed stream still delivers each event at once"). Off with
 * COMPRESSION=false.
 *
 * Built on the `compression` middleware, with three adjustments:
 * - only gzip is offered, as the contract says, even to a client that prefers brotli;
 * - Server-Sent Events are compressed although Nest marks them `no-transform` (see
 *   {@link filter});
 * - every write to an event stream is flushed through the compressor at once, so that an
 *   event, a heartbeat or `retry:` never waits in its buffer for more bytes to come.
 */
export function gzipResponses(): RequestHandler {
  const compressResponse = compression({ filter });
  const compressStream = compression({ filter, ...STREAM_ZLIB_OPTIONS });
  return (request: Request, response: Response, next: NextFunction) => {
    const streaming = isStreamRequest(request);
    if (streaming && !acceptsGzip(request)) {
      // Sent as it is: `compression` would still wrap the response's write, end, on and
      // writeHead in closures that an idle stream holds for its whole life, only to pass
      // the bytes on (issue 16). The Vary it would add is kept.
      response.vary('Accept-Encoding');
      next();
      return;
    }
    const compress = streaming ? compressStream : compressResponse;
    compress(offeringGzipOnly(request), response, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      flushEventStreamWrites(response);
      next();
    });
  };
}

/**
 * A compressor lives as long as its stream. With zlib's defaults (a 32 KiB window,
 * memLevel 8) an open gzipped stream measured 263 KiB of the service's memory, against
 * 49 KiB uncompressed. Events are small and repeat each other within a few KiB: a 4 KiB
 * window and memLevel 6 measured 116 KiB per stream for the same bytes on the wire.
 */
const STREAM_ZLIB_OPTIONS = { windowBits: 12, memLevel: 6 };

/**
 * Whether the response will be an event stream, known before it starts (the compressor is
 * chosen then): every stream route ends in `/stream`, and EventSource clients ask for
 * `text/event-stream`. A guess wrong either way costs memory or ratio, never correctness.
 */
function isStreamRequest(request: Request): boolean {
  return (
    request.method === 'GET' &&
    (request.path.endsWith('/stream') ||
      (request.headers.accept ?? '').includes('text/event-stream'))
  );
}

/** Whether gzip is the client's choice between gzip and identity. */
function acceptsGzip(request: Request): boolean {
  return (
    request.headers['accept-encoding'] !== undefined &&
    request.acceptsEncodings('gzip', 'identity') === 'gzip'
  );
}

/**
 * The request as `compression` sees it: its Accept-Encoding reduced to the one choice
 * between gzip and identity that the client's own preferences make. A request without
 * the header is left alone (compression then sends it uncompressed).
 */
function offeringGzipOnly(request: Request): Request {
  if (request.headers['accept-encoding'] === undefined) return request;
  const choice = request.acceptsEncodings('gzip', 'identity') === 'gzip' ? 'gzip' : 'identity';
  const view = Object.create(request) as Request;
  Object.defineProperty(view, 'headers', {
    value: { ...request.headers, 'accept-encoding': choice },
  });
  return view;
}

/**
 * What to compress: what `compression` would by default (text, JSON, JS, CSS...), and
 * event streams. Nest sends every event stream with `Cache-Control: ... no-transform`,
 * which asks intermediaries not to re-encode it (a proxy that gzips would buffer it); the
 * middleware honours that mark even for our own responses. Here the origin compresses
 * and flushes every event itself, so the mark is removed from the streams it compresses.
 */
function filter(request: Request, response: Response): boolean {
  if (!isEventStream(response)) return compression.filter(request, response);
  if (request.headers['accept-encoding'] === 'gzip') {
    const cacheControl = String(response.getHeader('Cache-Control') ?? '');
    response.setHeader(
      'Cache-Control',
      cacheControl
        .split(',')
        .map((directive) => directive.trim())
        .filter((directive) => directive !== '' && directive.toLowerCase() !== 'no-transform')
        .join(', '),
    );
  }
  return true;
}

/**
 * Flushes the compressor after every write to an event stream. Wrapping the response's
 * `write` (the one `compression` installed) runs the flush after Nest's SseStream has
 * handed the chunk on, whatever wrote it: an event, a heartbeat, `retry:`.
 */
function flushEventStreamWrites(response: Response): void {
  const write = response.write;
  // Decided once the headers are out (a broadcast writes to every stream: no header
  // lookups per write); only a compressed event stream has anything to flush.
  let flushes: boolean | undefined;
  response.write = function (this: Response, ...args: Parameters<Response['write']>) {
    const accepted = write.apply(this, args);
    if (flushes === undefined && this.headersSent) {
      flushes = isEventStream(this) && this.getHeader('Content-Encoding') !== undefined;
    }
    if (flushes ?? isEventStream(this)) this.flush();
    return accepted;
  } as Response['write'];
}

function isEventStream(response: Response): boolean {
  return String(response.getHeader('Content-Type') ?? '').startsWith('text/event-stream');
}

/**
 * The zlib stream that compresses `response`, or null when the response goes out as it
 * is (not compressed, COMPRESSION=false, headers not yet sent). A stream's memory bound
 * counts what it holds (CONTRACT.md, MAX_BUFFERED_BYTES): a client that stops reading
 * makes the compressor keep its output, then queue every write.
 *
 * `compression` keeps its zlib stream private; the one thing it forwards to it is a
 * `drain` listener added to the response (so that a writer waits for the compressor),
 * and an EventEmitter's `on` returns the emitter it was called on. Adding and removing
 * a listener that does nothing is thus how the stream is reached, without patching zlib.
 */
export function compressorOf(response: Response): Transform | null {
  if (!response.headersSent || response.getHeader('Content-Encoding') === undefined) return null;
  const emitter = response.on('drain', noop) as unknown;
  if (emitter instanceof Transform) {
    emitter.off('drain', noop);
    return emitter;
  }
  response.off('drain', noop);
  return null;
}

const noop = () => undefined;
