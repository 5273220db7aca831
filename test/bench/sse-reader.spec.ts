import { describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Title = [id: string, seq: number, publishedAt: number];
interface Reader {
  status: number;
  events: number;
  push(bytes: Buffer, length?: number): void;
}
// Plain JS outside the typed sources: loaded by URL, typed here.
const { SseReader } = (await import(pathToFileURL(resolve('bench/load/sse-reader.js')).href)) as {
  SseReader: new (onTitle: (...title: Title) => void) => Reader;
};

/**
 * The load generator's reader (bench/load/sse-reader.js) takes bytes as TCP hands them over,
 * so a response must read the same however it is cut: here at every position, and at every
 * pair of positions, through the head, the chunk-size lines, chunk data and events.
 */
describe('bench/load/sse-reader.js', () => {
  const events = [
    'retry: 3000\n\n',
    // Nest's order (`event:` before `id:`), and a control event with an id but no title.
    'event: unread-count\nid: 7\ndata: {"count":2}\n\n',
    'event: bench.event\nid: 8\ndata: {"id":"8","title":"b41@1733530000123.456","body":"x"}\n\n',
    // The floor's order; then a heartbeat comment.
    'id: 9\nevent: bench.event\ndata: {"title":"b42@1733530000200.5"}\n\n',
    ': heartbeat\n\n',
  ];
  const expected: Title[] = [
    ['8', 41, 1733530000123.456],
    ['9', 42, 1733530000200.5],
  ];
  const head = (extra: string) =>
    `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n${extra}\r\n`;
  const chunk = (text: string, extension = '') =>
    `${Buffer.byteLength(text).toString(16).toUpperCase()}${extension}\r\n${text}\r\n`;
  const body = events.join('');
  // Two events in one chunk, an event split across two chunks, a chunk extension.
  const cut = body.indexOf('b42@') + 6;
  const chunked = Buffer.from(
    head('Transfer-Encoding: chunked\r\n') +
      chunk(events[0]) +
      chunk(events[1] + events[2], ';ext=1') +
      chunk(body.slice(body.indexOf(events[3]), cut)) +
      chunk(body.slice(cut)) +
      '0\r\n\r\n',
  );
  const raw = Buffer.from(head('Cache-Control: no-cache\r\n') + body);

  // The worker reads every socket into one buffer: past `length` lie stale bytes.
  const shared = Buffer.alloc(4096, '\n\r\n\r\nid: 1\ndata: {"title":"b9@1"}\n\n');
  function read(pieces: Buffer[], { reuse = false } = {}) {
    const titles: Title[] = [];
    const reader = new SseReader((...title) => titles.push(title));
    for (const piece of pieces) {
      if (reuse) reader.push(shared, piece.copy(shared));
      else reader.push(piece);
    }
    return { status: reader.status, events: reader.events, titles };
  }
  const whole = { status: 200, events: events.length, titles: expected };

  it.each([
    ['chunked', chunked],
    ['raw until close', raw],
  ])('reads a %s body cut at every position and every pair of positions', (_, bytes) => {
    expect(read([bytes])).toEqual(whole);
    for (let i = 1; i < bytes.length; i++) {
      expect(read([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
      for (let j = i + 1; j < bytes.length; j++) {
        const pieces = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
        const result = read(pieces, { reuse: true });
        // Not toEqual on each of ~50,000 cuts: one comparison that names the cut on failure.
        if (result.events !== whole.events || JSON.stringify(result) !== JSON.stringify(whole))
          expect({ i, j, ...result }).toEqual({ i, j, ...whole });
      }
    }
    expect(read([...bytes].map((byte) => Buffer.of(byte)))).toEqual(whole);
    expect(
      read(
        [...bytes].map((byte) => Buffer.of(byte)),
        { reuse: true },
      ),
    ).toEqual(whole);
  });

  it('reads no event from a response that is not 200', () => {
    const refused = Buffer.from(
      'HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\n\r\nretry: 1\n\n\n\n',
    );
    expect(read([refused])).toEqual({ status: 401, events: 0, titles: [] });
  });
});
