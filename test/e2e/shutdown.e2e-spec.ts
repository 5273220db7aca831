import { afterEach, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import zlib from 'node:zlib';
import request from 'supertest';
import { eventually } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { bearer, token } from '../support/tokens.js';

/**
 * A stream read over a raw socket, every byte kept: an HTTP client library would hide
 * whether the response ended with its last chunk or the connection just broke.
 */
class RawSocketStream {
  bytes = Buffer.alloc(0);
  closed = false;
  private readonly socket: net.Socket;

  constructor(url: string, headers: Record<string, string>) {
    const { port } = new URL(url);
    this.socket = net.connect(Number(port), '127.0.0.1');
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    this.socket.write(
      `GET /notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('')}\r\n`,
    );
    this.socket.on('data', (chunk: Buffer) => (this.bytes = Buffer.concat([this.bytes, chunk])));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.closed = true));
  }

  get head(): string {
    const end = this.bytes.indexOf('\r\n\r\n');
    return end === -1 ? '' : this.bytes.subarray(0, end).toString('latin1');
  }

  /** The body with its chunked framing removed, and whether the last chunk came. */
  get body(): { data: Buffer; complete: boolean } {
    let at = this.bytes.indexOf('\r\n\r\n') + 4;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = this.bytes.indexOf('\r\n', at);
      if (lineEnd === -1) return { data: Buffer.concat(parts), complete: false };
      const size = parseInt(this.bytes.subarray(at, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        const complete = this.bytes.subarray(lineEnd).toString('latin1') === '\r\n\r\n';
        return { data: Buffer.concat(parts), complete };
      }
      parts.push(this.bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('SIGTERM with streams open', () => {
  let instance: Instance | null = null;
  const streams: RawSocketStream[] = [];

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.destroy();
    await instance?.stop('SIGKILL');
    instance = null;
  });

  it('ends each stream with its last chunk, gzip finished, and exits 0 within 10 s', async () => {
    instance = await Instance.start();
    const plain = new RawSocketStream(instance.url, bearer(token('carol')));
    const gzipped = new RawSocketStream(instance.url, {
      ...bearer(token('dave')),
      'Accept-Encoding': 'gzip',
    });
    streams.push(plain, gzipped);
    await eventually(
      () => plain.body.data.includes('unread-count') && gzipped.body.data.length > 0,
      'both streams to start',
    );
    expect(plain.head).toMatch(/^HTTP\/1\.1 200[\s\S]*transfer-encoding: chunked/i);
    expect(gzipped.head).toMatch(/content-encoding: gzip/i);
    await request(instance.url)
      .post('/notifications')
      .set(bearer(token('svc', { roles: ['service'] })))
      .send({ recipients: ['carol', 'dave'], type: 'test.bye', title: 'before the end' })
      .expect(201);
    await eventually(
      () => plain.body.data.includes('before the end'),
      'the notification on the plain stream',
    );

    const signalledAt = Date.now();
    expect(await instance.stop('SIGTERM')).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    await eventually(() => plain.closed && gzipped.closed, 'the server to close both connections');

    // The chunked encoding's terminating chunk, then nothing: the response completed.
    expect(plain.bytes.subarray(-5).toString('latin1')).toBe('0\r\n\r\n');
    expect(plain.body.complete).toBe(true);
    expect(gzipped.bytes.subarray(-5).toString('latin1')).toBe('0\r\n\r\n');
    expect(gzipped.body.complete).toBe(true);
    // gunzipSync throws on a gzip member without its end (no final block, no trailer).
    const text = zlib.gunzipSync(gzipped.body.data).toString();
    expect(text).toMatch(/^\s*retry: \d+\n\n/m);
    expect(text).toContain('before the end');
  }, 30000);
});
