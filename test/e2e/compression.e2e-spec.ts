import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import zlib from 'node:zlib';
import request from 'supertest';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { bearer, token } from '../support/tokens.js';

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as received, then decoded when it was gzipped. */
  wire: Buffer;
  text: string;
}

/** A GET that keeps the bytes as they came over the wire. */
function get(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const wire = Buffer.concat(chunks);
          const gzipped = response.headers['content-encoding'] === 'gzip';
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            wire,
            text: (gzipped ? zlib.gunzipSync(wire) : wire).toString(),
          });
        });
      })
      .on('error', reject);
  });
}

/**
 * A stream read as a browser would: gzip decoded on the fly, each decoded piece stamped
 * with when it arrived, to show that nothing waits in the compressor.
 */
class GzipStream {
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  text = '';
  readonly arrivals: { at: number; text: string }[] = [];
  private readonly request: http.ClientRequest;

  constructor(url: string, headers: Record<string, string>) {
    this.request = http.get(url, { headers }, (response) => {
      this.status = response.statusCode ?? 0;
      this.headers = response.headers;
      const body =
        response.headers['content-encoding'] === 'gzip'
          ? response.pipe(zlib.createGunzip())
          : response;
      body.on('data', (chunk: Buffer) => {
        this.text += chunk.toString();
        this.arrivals.push({ at: performance.now(), text: chunk.toString() });
      });
      body.on('error', () => undefined);
    });
    this.request.on('error', () => undefined);
  }

  /** When the decoded text first contained `text`. */
  async arrivalOf(text: string, timeoutMs = 2000): Promise<number> {
    await eventually(() => this.text.includes(text), `"${text}" on the stream`, timeoutMs);
    let seen = '';
    for (const arrival of this.arrivals) {
      seen += arrival.text;
      if (seen.includes(text)) return arrival.at;
    }
    throw new Error('unreachable');
  }

  close(): void {
    this.request.destroy();
  }
}

const GZIP = { 'Accept-Encoding': 'gzip' };

describe('gzip (COMPRESSION, on by default)', () => {
  let t: TestApp;
  const streams: GzipStream[] = [];

  beforeAll(async () => {
    t = await startApp({ HEARTBEAT_MS: '250' });
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  function stream(userToken: string): GzipStream {
    const opened = new GzipStream(`${t.url}/notifications/stream`, {
      ...GZIP,
      ...bearer(userToken),
    });
    streams.push(opened);
    return opened;
  }

  describe('REST and the demo files', () => {
    it('compresses a response when the client accepts gzip', async () => {
      const response = await get(`${t.url}/docs-json`, GZIP);
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(response.headers.vary).toMatch(/Accept-Encoding/i);
      expect(response.wire.length).toBeLessThan(response.text.length / 3);
      expect(JSON.parse(response.text)).toHaveProperty('openapi');
    });

    it('offers gzip only, even to a client that prefers brotli', async () => {
      const response = await get(`${t.url}/docs-json`, { 'Accept-Encoding': 'br, gzip;q=0.5' });
      expect(response.headers['content-encoding']).toBe('gzip');
      const brOnly = await get(`${t.url}/docs-json`, { 'Accept-Encoding': 'br' });
      expect(brOnly.headers['content-encoding']).toBeUndefined();
    });

    it('sends identity to a client that does not accept gzip', async () => {
      const choices: Record<string, string>[] = [{}, { 'Accept-Encoding': 'gzip;q=0, identity' }];
      for (const headers of choices) {
        const response = await get(`${t.url}/docs-json`, headers);
        expect(response.headers['content-encoding']).toBeUndefined();
        expect(JSON.parse(response.text)).toHaveProperty('openapi');
      }
    });

    it('compresses the demo page and its scripts', async () => {
      for (const path of ['/', '/js/notification-client.js', '/app.css']) {
        const response = await get(`${t.url}${path}`, GZIP);
        expect([path, response.status, response.headers['content-encoding']]).toEqual([
          path,
          200,
          'gzip',
        ]);
      }
    });
  });

  describe('streams', () => {
    it('are compressed, and still say no-cache', async () => {
      const opened = stream(token('alice'));
      await opened.arrivalOf('retry:');
      expect(opened.status).toBe(200);
      expect(opened.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(opened.headers['content-encoding']).toBe('gzip');
      expect(opened.headers['cache-control']).toMatch(/no-cache/);
    });

    it('deliver retry: and every heartbeat at once, not held by the compressor', async () => {
      const opened = stream(token('alice'));
      await opened.arrivalOf('retry:', 1000);
      await eventually(
        () => (opened.text.match(/^:/gm) ?? []).length >= 3,
        'three heartbeats',
        2000,
      );
    });

    it('deliver each event within 100 ms of its publication', async () => {
      const opened = stream(token('alice'));
      await opened.arrivalOf('event: unread-count');
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        const text = `ping ${i}`;
        await request(t.url)
          .post('/messages')
          .set(bearer(token('bob')))
          .send({ text, to: ['alice'] })
          .expect(201);
        const published = performance.now();
        delays.push((await opened.arrivalOf(text)) - published);
      }
      // An event is a few hundred bytes: without a flush, gzip would hold it indefinitely.
      expect(Math.max(...delays)).toBeLessThan(100);
    });
  });
});

describe('COMPRESSION=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ COMPRESSION: 'false' });
  });
  afterAll(() => t.close());

  it('sends REST responses and streams uncompressed, whatever the client accepts', async () => {
    const rest = await get(`${t.url}/docs-json`, GZIP);
    expect(rest.headers['content-encoding']).toBeUndefined();
    const opened = new GzipStream(`${t.url}/notifications/stream`, {
      ...GZIP,
      ...bearer(token('alice')),
    });
    try {
      await opened.arrivalOf('retry:');
      expect(opened.headers['content-encoding']).toBeUndefined();
      expect(opened.headers['cache-control']).toMatch(/no-transform/);
    } finally {
      opened.close();
    }
  });
});
