import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import request from 'supertest';
import { createRootLogger } from '../../src/logging/logger.js';
import { PinoLoggerService } from '../../src/logging/pino-logger.service.js';
import { eventually, makeDataDir, removeDataDir, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

type LogLine = Record<string, unknown> & {
  level: number;
  msg?: string;
  requestId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
};

const DEBUG = 20;
const INFO = 30;

/**
 * The service's own JSON logger (src/logging), writing into an array at debug level, so
 * that what a line says and at which level it is said can both be checked.
 */
function capturedLogger() {
  const lines: LogLine[] = [];
  const root = createRootLogger({
    write: (line: string) => {
      lines.push(JSON.parse(line) as LogLine);
    },
  });
  root.level = 'debug';
  return { lines, logger: new PinoLoggerService(root) };
}

/**
 * Lean logs (issue 15): one request line with method, path, status, duration, request id
 * and user id, never the headers; a reason on every 4xx line; presence moves at debug;
 * the close line of every stream with the bytes it sent; no X-Powered-By header.
 */
describe('Request and stream log lines', () => {
  let t: TestApp;
  const { lines, logger } = capturedLogger();

  beforeAll(async () => {
    t = await startApp({ PUBLISH_RATE_LIMIT: '2', HEARTBEAT_MS: '60000' }, logger);
  });
  afterAll(() => t.close());

  /** The access line of a request, once its response is done. */
  async function requestLine(requestId: string): Promise<LogLine> {
    const find = () => lines.filter((line) => line.requestId === requestId && line.res);
    await eventually(() => find().length > 0, `the request line of ${requestId}`);
    expect(find()).toHaveLength(1);
    return find()[0];
  }

  it('logs one line per request: method, path, status, duration, request id, user id, no headers', async () => {
    await request(t.url)
      .get('/notifications?limit=5')
      .set(bearer(token('lena')))
      .set('X-Request-Id', 'lean-1')
      .set('Cookie', 'theme=dark')
      .set('Referer', 'https://app.example.com/inbox')
      .set('User-Agent', 'lean-agent/1.0')
      .expect(200);
    const line = await requestLine('lean-1');
    expect(line).toMatchObject({
      level: INFO,
      requestId: 'lean-1',
      userId: 'lena',
      req: { method: 'GET', url: '/notifications?limit=5' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    const text = JSON.stringify(line);
    for (const header of ['headers', 'lean-agent', 'theme=dark', 'app.example.com', '"host"']) {
      expect(text).not.toContain(header);
    }
    expect(text.length).toBeLessThan(400);
  });

  it('logs an anonymous request without a user id, its credentials in the URL redacted', async () => {
    const secret = token('rita');
    await request(t.url)
      .get(`/notifications/unread-count?access_token=${secret}x`)
      .set('X-Request-Id', 'lean-anon')
      .expect(401);
    const line = await requestLine('lean-anon');
    expect(line.userId).toBeUndefined();
    expect(line.req?.url).toBe('/notifications/unread-count?access_token=[Redacted]');
    expect(JSON.stringify(line)).not.toContain(secret.split('.')[2]);
  });

  it('says why on every 4xx line: 400, 401, 403, 404, 409, 415, 429', async () => {
    const starter = token('sam');
    const approver = token('ava');
    const workflow = await request(t.url)
      .post('/workflows')
      .set(bearer(starter))
      .send({ name: 'Reasons', approvers: ['ava'] })
      .expect(201);
    const id = (workflow.body as { id: string }).id;
    const cases: [string, () => request.Test, number, RegExp][] = [
      [
        'r400',
        () =>
          request(t.url)
            .post('/workflows')
            .set(bearer(token('vic')))
            .send({ name: 7 }),
        400,
        /name must be/,
      ],
      ['r401', () => request(t.url).get('/notifications'), 401, /token/i],
      [
        'r403',
        () => request(t.url).post(`/workflows/${id}/approve`).set(bearer(starter)).send({}),
        403,
        /starter cannot approve/,
      ],
      [
        'r404',
        () => request(t.url).get('/no-such-route').set(bearer(starter)),
        404,
        /no-such-route/,
      ],
      [
        'r415',
        () =>
          request(t.url)
            .post('/messages')
            .set(bearer(starter))
            .set('Content-Type', 'text/plain')
            .send('hi'),
        415,
        /must be JSON/,
      ],
    ];
    await request(t.url)
      .post(`/workflows/${id}/approve`)
      .set(bearer(approver))
      .send({})
      .expect(201);
    cases.push([
      'r409',
      () => request(t.url).post(`/workflows/${id}/approve`).set(bearer(approver)).send({}),
      409,
      /already approved/,
    ]);
    // PUBLISH_RATE_LIMIT=2: quinn's third message is one too many.
    const message = () =>
      request(t.url)
        .post('/messages')
        .set(bearer(token('quinn')))
        .send({ text: 'hi', to: ['x'] });
    await message().expect(201);
    await message().expect(201);
    cases.push(['r429', message, 429, /Too many publish requests/]);
    for (const [requestId, send, status, reason] of cases) {
      await send().set('X-Request-Id', requestId).expect(status);
      const line = await requestLine(requestId);
      expect({ requestId, status: line.res?.statusCode, reason: line.reason }).toEqual({
        requestId,
        status,
        reason: expect.stringMatching(reason),
      });
    }
  });

  it('logs a presence move at debug, not at info', async () => {
    await request(t.url)
      .post('/documents/lean-doc/presence')
      .set(bearer(token('moe')))
      .set('X-Request-Id', 'lean-move')
      .send({ x: 1, y: 2 })
      .expect(204);
    const line = await requestLine('lean-move');
    expect(line).toMatchObject({ level: DEBUG, userId: 'moe', res: { statusCode: 204 } });
  });

  it('sends no X-Powered-By header', async () => {
    const response = await request(t.url).get('/health').expect(200);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('closes every kind of stream with a line giving kind, user, duration, bytes sent and why', async () => {
    const workflow = await request(t.url)
      .post('/workflows')
      .set(bearer(token('tess')))
      .send({ name: 'Streamed', approvers: ['ugo'] })
      .expect(201);
    const id = (workflow.body as { id: string }).id;
    const streams = {
      notifications: new RawStream(`${t.url}/notifications/stream`, bearer(token('nina'))),
      timeline: new RawStream(`${t.url}/workflows/${id}/stream`, bearer(token('tess'))),
      presence: new RawStream(`${t.url}/documents/lean-doc/presence/stream`, bearer(token('ugo'))),
    };
    await streams.notifications.waitForBody('event: unread-count');
    await streams.timeline.waitForBody('event: workflow.started');
    await streams.presence.waitForBody('event: snapshot');
    for (const stream of Object.values(streams)) {
      expect(stream.body.startsWith('\n')).toBe(true);
      stream.close();
    }
    const closed = (kind: string) =>
      lines.filter((line) => line.msg === 'stream closed' && line.kind === kind);
    await eventually(
      () => Object.keys(streams).every((kind) => closed(kind).length === 1),
      'a close line for each stream',
    );
    const users = { notifications: 'nina', timeline: 'tess', presence: 'ugo' };
    for (const [kind, stream] of Object.entries(streams)) {
      expect(closed(kind)[0]).toEqual(
        expect.objectContaining({
          kind,
          userId: users[kind as keyof typeof users],
          durationMs: expect.any(Number),
          reason: 'client-left',
          // Nothing was written after the client had it all: sent is what it received, but
          // for the blank line Nest's SseStream writes before the connection's first frame.
          bytesSent: Buffer.byteLength(stream.body) - 1,
        }),
      );
    }
  });
});

/**
 * What dist/main.js prints when its stdout is a terminal (a pseudo-terminal made by
 * util-linux's `script`): it runs until it listens, then its process group is stopped.
 */
async function outputAtTerminal(env: Record<string, string>): Promise<string> {
  const workDir = makeDataDir();
  const command = `'${process.execPath}' '${resolve('dist/main.js')}'`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = once(child, 'close');
  let printed = '';
  try {
    await eventually(() => /listening on http/.test(output), 'the service to listen', 20_000);
    // Whole lines the service printed: `script` adds a line of its own once stopped.
    printed = output.slice(0, output.lastIndexOf('\n') + 1);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await closed;
    removeDataDir(workDir);
  }
  // The terminal ends lines with \r\n; pino-pretty colours what it writes to one.
  return stripVTControlCharacters(printed.replace(/\r/g, ''));
}

describe('Log format at a terminal', () => {
  it('is human-readable in development', async () => {
    const output = await outputAtTerminal({});
    expect(output).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[NestFactory\] Starting Nest application/m,
    );
    expect(output).toMatch(/^\[[\d:.]+\] INFO: \[Bootstrap\] Notification service listening on/m);
    expect(output).not.toMatch(/^\{/m);
  }, 30_000);

  it('stays JSON under NODE_ENV=production', async () => {
    const output = await outputAtTerminal({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-production-secret-of-at-least-32-bytes',
    });
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number) });
  }, 30_000);
});
