import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { publish } from '../support/api.js';
import { Instance } from '../support/instance.js';
import { Nginx, describeWithNginx, rewrite, shippedConfig } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { token } from '../support/tokens.js';
import { eventually } from '../support/wait.js';

/** The shipped configuration, pointed at this test's service and ports. */
function http1Site(servicePort: number, port: number): string {
  let site = shippedConfig('deploy/nginx/http1.conf');
  site = rewrite(site, 'server 127.0.0.1:3000;', `server 127.0.0.1:${servicePort};`);
  return rewrite(site, 'listen 80;', `listen 127.0.0.1:${port};`);
}

function http2Site(servicePort: number, port: number, redirectPort: number, dir: string) {
  let site = shippedConfig('deploy/nginx/http2.conf');
  site = rewrite(site, 'server 127.0.0.1:3000;', `server 127.0.0.1:${servicePort};`);
  site = rewrite(site, 'listen 80;', `listen 127.0.0.1:${redirectPort};`);
  site = rewrite(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`);
  site = rewrite(site, '/etc/ssl/certs/notifications.example.com.pem', join(dir, 'cert.pem'));
  return rewrite(site, '/etc/ssl/private/notifications.example.com.key', join(dir, 'key.pem'));
}

/** A self-signed certificate for 127.0.0.1 (node:crypto cannot make X.509; openssl can). */
function makeCertificate(dir: string): Buffer {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(join(dir, 'cert.pem'));
}

/** A stream read over HTTP/1.1 asking for gzip, decoded as it arrives. */
function gzipStream(url: string, jwtToken: string) {
  const state = { status: 0, encoding: '', text: '' };
  const request = http.get(
    url,
    { headers: { Authorization: `Bearer ${jwtToken}`, 'Accept-Encoding': 'gzip' } },
    (response) => {
      state.status = response.statusCode ?? 0;
      state.encoding = String(response.headers['content-encoding'] ?? '');
      const body = state.encoding === 'gzip' ? response.pipe(zlib.createGunzip()) : response;
      body.on('data', (chunk: Buffer) => (state.text += chunk.toString()));
      body.on('error', () => undefined);
    },
  );
  request.on('error', () => undefined);
  return { state, close: () => void request.destroy() };
}

describeWithNginx('the shipped nginx configurations, in front of the built service', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    closeAllClients();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  describe('deploy/nginx/http1.conf', () => {
    it('delivers a notification at once to a real EventSource, and gzip streams too', async () => {
      const service = await Instance.start();
      cleanups.push(() => service.stop('SIGKILL').then(() => undefined));
      const port = await freePort();
      const nginx = await Nginx.start(http1Site(Number(new URL(service.url).port), port), port);
      cleanups.push(() => nginx.stop());
      const proxied = `http://127.0.0.1:${port}`;

      const client = await new StreamClient(proxied, token('alice')).ready();
      const gzipped = gzipStream(`${proxied}/notifications/stream`, token('alice'));
      cleanups.push(gzipped.close);
      await eventually(() => gzipped.state.text.includes('retry:'), 'the gzip stream to start');
      expect(gzipped.state).toMatchObject({ status: 200, encoding: 'gzip' });

      const sentAt = performance.now();
      await publish(proxied, ['alice'], 'through nginx');
      await eventually(
        () => client.events.length === 1 && gzipped.state.text.includes('through nginx'),
        'the notification on both streams',
        1000,
      );
      // Buffered, it would wait for nginx's buffer to fill or the stream to end.
      expect(performance.now() - sentAt).toBeLessThan(1000);
      expect(client.payloads()[0]).toMatchObject({ title: 'through nginx' });
    });

    it('makes a real EventSource reconnect and resume across a restart of the service', async () => {
      const servicePort = await freePort();
      // RETRY_MS short so that the client retries while the service is down.
      const env = { PORT: String(servicePort), RETRY_MS: '300' };
      let service = await Instance.start(env);
      cleanups.push(() => service.stop('SIGKILL').then(() => undefined));
      const port = await freePort();
      const nginx = await Nginx.start(http1Site(servicePort, port), port);
      cleanups.push(() => nginx.stop());
      const proxied = `http://127.0.0.1:${port}`;

      const client = await new StreamClient(proxied, token('bob')).ready();
      await publish(proxied, ['bob'], 'before the restart');
      await client.waitForEvents(1);

      expect(await service.stop('SIGTERM')).toBe(0);
      // The client retries while nothing listens: nginx fails to connect, which it would
      // answer 502 (and a strict EventSource then gives up for good).
      await eventually(
        () =>
          (nginx.output.match(/Connection refused/g) ?? []).length >= 2 || client.readyState === 2,
        'the client to retry while the service is down',
        10000,
      );
      expect(client.errors.map((error) => error.code)).not.toContain(502);
      expect(client.readyState).not.toBe(2); // CLOSED: it gave up.
      // nginx closed those connections without an answer (444), not with a 502.
      expect(nginx.accessLog).toMatch(/"GET \/notifications\/stream HTTP\/1\.1" 444/);
      expect(nginx.accessLog).not.toMatch(/"GET \/notifications\/stream HTTP\/1\.1" 502/);

      service = await Instance.start(env);
      await eventually(() => client.readyState === 1, 'the client to be open again', 10000);
      await publish(proxied, ['bob'], 'after the restart');
      await eventually(
        () => client.payloads().some((payload) => payload.title === 'after the restart'),
        'the notification published after the restart',
        5000,
      );
    }, 40000);
  });

  describe('deploy/nginx/http2.conf', () => {
    it('serves more than 6 streams on one HTTP/2 connection with TLS, and resets rather than 502s one while the service is down', async () => {
      const service = await Instance.start();
      cleanups.push(() => service.stop('SIGKILL').then(() => undefined));
      const dir = Nginx.makeDir();
      const ca = makeCertificate(dir);
      const [port, redirectPort] = [await freePort(), await freePort()];
      const site = http2Site(Number(new URL(service.url).port), port, redirectPort, dir);
      const nginx = await Nginx.start(site, port, dir);
      cleanups.push(() => nginx.stop());

      const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
      cleanups.push(() => void session.destroy());
      session.on('error', () => undefined);
      const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'];
      const streams = users.map((user) => {
        const state = { status: 0, type: '', text: '' };
        const stream = session.request({
          ':path': '/notifications/stream',
          authorization: `Bearer ${token(user)}`,
        });
        stream.on('response', (headers) => {
          state.status = Number(headers[':status']);
          state.type = String(headers['content-type']);
        });
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (state.text += chunk));
        stream.on('error', () => undefined);
        return state;
      });
      await eventually(
        () => streams.every((state) => state.text.includes('retry:')),
        'eight streams to open on one connection',
      );
      expect(session.alpnProtocol).toBe('h2');
      for (const state of streams) {
        expect(state).toMatchObject({
          status: 200,
          type: expect.stringMatching(/^text\/event-stream/),
        });
      }

      await publish(service, users, 'over HTTP/2');
      await eventually(
        () => streams.every((state) => state.text.includes('over HTTP/2')),
        'the notification on every stream',
        2000,
      );

      // While the service is down, a stream request gets its HTTP/2 stream reset (a network
      // error to an EventSource, which retries), not a 502 (which it would not retry).
      await service.stop('SIGTERM');
      const retried = { status: 0, rstCode: -1 };
      const stream = session.request({
        ':path': '/notifications/stream',
        authorization: `Bearer ${token('u1')}`,
      });
      stream.on('response', (headers) => (retried.status = Number(headers[':status'])));
      stream.on('error', () => undefined);
      stream.on('close', () => (retried.rstCode = stream.rstCode ?? 0));
      stream.resume();
      await eventually(() => retried.rstCode !== -1, 'the stream request to end', 5000);
      expect(retried.status).toBe(0);
      expect(retried.rstCode).not.toBe(http2.constants.NGHTTP2_NO_ERROR);
    });
  });
});
