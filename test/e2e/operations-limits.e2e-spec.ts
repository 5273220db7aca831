import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

type LogLine = Record<string, unknown> & {
  msg?: string;
  requestId?: string;
  req?: { url?: string; headers?: Record<string, string> };
};

/**
 * Structured logs of the built service (dist/main.js, its real logger on stdout):
 * every line is JSON, request lines carry the request id that is echoed to the
 * client, credentials never appear, and each stream logs its opening and its end.
 */
describe('JSON logs of dist/main.js', () => {
  let instance: Instance;
  let lines: LogLine[] = [];
  const bob = token('bob');
  const alice = token('alice');
  const cookieToken = token('dora');
  const carol = token('carol');
  const secrets = [bob, alice, cookieToken, carol];
  let generatedId = '';

  beforeAll(async () => {
    instance = await Instance.start({ HEARTBEAT_MS: '60000' });
    // A stream with its token in the URL, as a native EventSource sends it.
    const bobStream = new RawStream(`${instance.url}/notifications/stream?access_token=${bob}`, {
      'X-Request-Id': 'stream-req-1',
    });
    await bobStream.waitForBody('retry:');
    expect(bobStream.headers['x-request-id']).toBe('stream-req-1');

    const read = await request(instance.url).get(`/notifications/unread-count?access_token=${bob}`);
    expect(read.status).toBe(200);
    generatedId = read.headers['x-request-id'];
    await request(instance.url)
      .post(`/messages?access_token=${alice}`)
      .send({ text: 'hi', to: ['bob'] })
      .expect(201);
    await request(instance.url)
      .get('/notifications')
      .set('Cookie', `access_token=${cookieToken}; theme=dark`)
      .set('X-Request-Id', 'cookie-req')
      .expect(200);
    await request(instance.url)
      .get('/notifications')
      .set(bearer(alice))
      .set('X-Request-Id', 'bearer-req')
      .expect(200);
    // A page opened with its token in the URL sends that URL as the Referer of its requests.
    const pageToken = token('fay');
    secrets.push(pageToken);
    await request(instance.url)
      .get('/notifications')
      .set(bearer(alice))
      .set('Referer', `https://app.example.com/inbox?access_token=${pageToken}&tab=2`)
      .set('X-Request-Id', 'referer-req')
      .expect(200);

    // Ended by the server when its token expires (minted now: it lives 2 to 3 s).
    const shortLived = token('erin', { ttl: 3 });
    secrets.push(shortLived);
    const expiring = new RawStream(
      `${instance.url}/notifications/stream?access_token=${shortLived}`,
    );
    await expiring.waitForBody('event: token-expiring');
    expect(expiring.status).toBe(200);
    await expiring.waitForEnd(6000);

    bobStream.close();
    await eventually(
      () => instance.output.includes('"reason":"client-left"'),
      'the client-left line',
    );
    // Still open at SIGTERM: ended by the shutdown.
    const carolStream = new RawStream(`${instance.url}/notifications/stream`, bearer(carol));
    await carolStream.waitForBody('retry:');
    expect(await instance.stop('SIGTERM')).toBe(0);
    await eventually(() => instance.output.includes('"reason":"shutdown"'), 'the shutdown line');
    carolStream.close();
    lines = instance.output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          throw new Error(`Not a JSON log line: ${line}`);
        }
      });
  }, 30_000);

  const access = (requestId: string) =>
    lines.find((line) => line.requestId === requestId && line.req !== undefined);
  const streamLines = (msg: string) => lines.filter((line) => line.msg === msg);

  it('writes every line as JSON, start-up and Nest lines included', () => {
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((line) => /listening on http/.test(line.msg ?? ''))).toBe(true);
    for (const line of lines) expect(line).toMatchObject({ level: expect.any(Number) });
  });

  it('never writes a token, from the URL, a cookie or a header, to any line', () => {
    for (const secret of secrets) {
      const signature = secret.split('.')[2];
      expect(lines.filter((line) => JSON.stringify(line).includes(signature))).toEqual([]);
    }
    expect(access('stream-req-1')?.req?.url).toBe('/notifications/stream?access_token=[Redacted]');
    // Request lines carry no headers at all (issue 15): no cookie, Authorization or Referer.
    for (const id of ['cookie-req', 'bearer-req', 'referer-req']) {
      expect(access(id)).toBeDefined();
      expect(access(id)?.req?.headers).toBeUndefined();
    }
  });

  it('gives every request an id, the caller’s or a new one, echoed and on its line', () => {
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(access(generatedId)).toMatchObject({ res: { statusCode: 200 } });
    expect(access('stream-req-1')).toBeDefined();
    const requestLines = lines.filter((line) => line.req !== undefined);
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
    for (const line of requestLines) expect(line.requestId).toEqual(expect.any(String));
  });

  it('logs one line per stream opened and one per stream closed, with duration and reason', () => {
    const opened = streamLines('stream opened');
    const closed = streamLines('stream closed');
    expect(opened.map((line) => line.userId).sort()).toEqual(['bob', 'carol', 'erin']);
    expect(closed).toHaveLength(3);
    const byUser = Object.fromEntries<LogLine>(closed.map((line) => [String(line.userId), line]));
    expect(byUser.bob).toMatchObject({ reason: 'client-left', requestId: 'stream-req-1' });
    expect(byUser.erin).toMatchObject({ reason: 'token-expired' });
    expect(byUser.carol).toMatchObject({ reason: 'shutdown' });
    // erin's token lived 2 to 3 s after it was minted; the stream lasted until then.
    expect(byUser.erin.durationMs).toBeGreaterThan(1000);
    expect(byUser.erin.durationMs).toBeLessThan(3500);
    for (const line of [...opened, ...closed]) expect(line.requestId).toEqual(expect.any(String));
    expect(opened.find((line) => line.userId === 'bob')?.requestId).toBe('stream-req-1');
  });
});

describe('Publish rate limit (PUBLISH_RATE_LIMIT=3 per PUBLISH_RATE_TTL_MS=1500)', () => {
  let t: TestApp;
  const alice = token('alice');
  const bob = token('bob');
  const message = (jwtToken: string) =>
    request(t.url)
      .post('/messages')
      .set(bearer(jwtToken))
      .send({ text: 'hi', to: ['zed'] });

  beforeAll(async () => {
    t = await startApp({ PUBLISH_RATE_LIMIT: '3', PUBLISH_RATE_TTL_MS: '1500' });
  });
  afterAll(() => t.close());

  it('answers 429 with a JSON message beyond the limit, per user, and recovers after the window', async () => {
    for (let i = 0; i < 3; i++) await message(alice).expect(201);
    const refused = await message(alice);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      statusCode: 429,
      message: expect.stringMatching(/Too many publish requests: at most 3 per 1.5 s per user/),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // One budget for every publish route: another route does not get around it.
    await request(t.url)
      .post('/workflows')
      .set(bearer(alice))
      .send({ name: 'w', approvers: ['bob'] })
      .expect(429);
    // Counted by user, not by address: bob, from the same address, is unaffected.
    await message(bob).expect(201);
    // Reading and streaming are not publishing.
    await request(t.url).get('/notifications').set(bearer(alice)).expect(200);
    const stream = await new RawStream(
      `${t.url}/notifications/stream`,
      bearer(alice),
    ).headersReceived();
    expect(stream.status).toBe(200);
    stream.close();

    await sleep(1600);
    await message(alice).expect(201);
  });
});

/**
 * Issue 11, point 7: a backend publishing with a `service` token has its own, far larger
 * budget (SERVICE_PUBLISH_RATE_LIMIT) instead of a person's PUBLISH_RATE_LIMIT.
 */
describe('Publish rate limit of service tokens (SERVICE_PUBLISH_RATE_LIMIT)', () => {
  const notify = (url: string, jwtToken: string) =>
    request(url)
      .post('/notifications')
      .set(bearer(jwtToken))
      .send({ recipients: ['zed'], type: 'test.ping', title: 'hi' });
  const message = (url: string, jwtToken: string) =>
    request(url)
      .post('/messages')
      .set(bearer(jwtToken))
      .send({ text: 'hi', to: ['zed'] });

  /** The statuses of `count` requests made one after the other. */
  async function statuses(count: number, send: () => request.Test): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < count; i++) seen.push((await send()).status);
    return seen;
  }

  it('lets a service token publish past the 120 a minute that a person gets, on the defaults', async () => {
    const t = await startApp();
    try {
      const service = token('billing', { roles: ['service'] });
      expect(await statuses(125, () => notify(t.url, service))).toEqual(Array(125).fill(201));
    } finally {
      await t.close();
    }
  });

  it('gives a service token SERVICE_PUBLISH_RATE_LIMIT, naming it in the 429', async () => {
    const t = await startApp({ PUBLISH_RATE_LIMIT: '2', SERVICE_PUBLISH_RATE_LIMIT: '5' });
    try {
      const service = token('billing', { roles: ['service'] });
      expect(await statuses(6, () => notify(t.url, service))).toEqual([
        201, 201, 201, 201, 201, 429,
      ]);
      const refused = await notify(t.url, service);
      expect(refused.body).toMatchObject({
        statusCode: 429,
        message: expect.stringMatching(
          /at most 5 per 60 s per service \(SERVICE_PUBLISH_RATE_LIMIT\)/,
        ),
      });
      // A person keeps PUBLISH_RATE_LIMIT; an admin is a person too.
      const admin = token('root', { roles: ['admin'] });
      expect(await statuses(3, () => notify(t.url, admin))).toEqual([201, 201, 429]);
      const person = token('alice');
      expect(await statuses(3, () => message(t.url, person))).toEqual([201, 201, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('Global cap on open streams (MAX_STREAMS=2)', () => {
  let t: TestApp;
  const opened: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({ MAX_STREAMS: '2', HEARTBEAT_MS: '60000' });
  });
  afterEach(() => opened.forEach((stream) => stream.close()));
  afterAll(() => t.close());

  const open = async (user: string) => {
    const stream = new RawStream(`${t.url}/notifications/stream`, bearer(token(user)));
    opened.push(stream);
    return stream.headersReceived();
  };

  it('answers 503 to a third stream of anyone, and accepts one again once a slot is free', async () => {
    expect((await open('u1')).status).toBe(200);
    expect((await open('u2')).status).toBe(200);
    const third = await open('u3');
    expect(third.status).toBe(503);
    await third.waitForEnd();
    expect(JSON.parse(third.body)).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/maximum of 2 streams/),
    });
    opened[0].close();
    await eventually(() => t.streams.size === 1, 'the closed stream to free its slot');
    expect((await open('u3')).status).toBe(200);
  });

  it('counts streams of any kind: a presence stream takes a slot, and the third kind gets 503', async () => {
    const workflow = await request(t.url)
      .post('/workflows')
      .set(bearer(token('u1')))
      .send({ name: 'Capped', approvers: ['u2'] })
      .expect(201);
    expect((await open('u1')).status).toBe(200);
    const presence = new RawStream(
      `${t.url}/documents/capped/presence/stream`,
      bearer(token('u2')),
    );
    opened.push(presence);
    expect((await presence.headersReceived()).status).toBe(200);
    const metrics = await request(t.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^notification_hub_streams_open 2$/m);

    const timeline = new RawStream(
      `${t.url}/workflows/${(workflow.body as { id: string }).id}/stream`,
      bearer(token('u2')),
    );
    opened.push(timeline);
    expect((await timeline.headersReceived()).status).toBe(503);
    await timeline.waitForEnd();
    expect(timeline.body).toMatch(/maximum of 2 streams \(MAX_STREAMS\)/);
  });
});

describe('Streams per user (MAX_STREAMS_PER_USER=2)', () => {
  let t: TestApp;
  const opened: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({ MAX_STREAMS_PER_USER: '2', HEARTBEAT_MS: '60000' });
  });
  afterAll(async () => {
    opened.forEach((stream) => stream.close());
    await t.close();
  });

  const open = async (path: string, user: string) => {
    const stream = new RawStream(`${t.url}${path}`, bearer(token(user)));
    opened.push(stream);
    return stream.headersReceived();
  };

  it('counts a user’s streams of every kind together: 429 for the third, whatever its kind', async () => {
    expect((await open('/notifications/stream', 'ida')).status).toBe(200);
    expect((await open('/documents/shared/presence/stream', 'ida')).status).toBe(200);
    const third = await open('/notifications/stream', 'ida');
    expect(third.status).toBe(429);
    await third.waitForEnd();
    expect(third.body).toMatch(/ida already has 2 open streams \(MAX_STREAMS_PER_USER\)/);
    // Someone else is not affected.
    expect((await open('/documents/shared/presence/stream', 'jo')).status).toBe(200);
  });
});

describe('CORS (CORS_ORIGINS)', () => {
  let t: TestApp;
  const allowed = 'https://app.example.com';
  const other = 'https://evil.example.com';
  const user = token('frank');

  beforeAll(async () => {
    t = await startApp({
      CORS_ORIGINS: `${allowed}, https://admin.example.com`,
      HEARTBEAT_MS: '60000',
    });
  });
  afterAll(() => t.close());

  const stream = (origin: string) =>
    new RawStream(`${t.url}/notifications/stream`, {
      Origin: origin,
      Cookie: `access_token=${user}`,
    }).headersReceived();
  const preflight = (origin: string, path: string, method: string, headers: string) =>
    request(t.url)
      .options(path)
      .set('Origin', origin)
      .set('Access-Control-Request-Method', method)
      .set('Access-Control-Request-Headers', headers);

  it('lets a listed origin open a stream with credentials (EventSource withCredentials)', async () => {
    const res = await stream(allowed);
    res.close();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('lets a listed origin call the REST API with credentials and read the request id', async () => {
    const res = await request(t.url)
      .get('/notifications/unread-count')
      .set('Origin', allowed)
      .set('Cookie', `access_token=${user}`)
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
  });

  it('answers a listed origin’s preflight, for publishing and for a resumed stream', async () => {
    const publish = await preflight(allowed, '/messages', 'POST', 'authorization,content-type');
    expect(publish.status).toBe(204);
    expect(publish.headers['access-control-allow-origin']).toBe(allowed);
    expect(publish.headers['access-control-allow-credentials']).toBe('true');
    expect(publish.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(publish.headers['access-control-allow-headers']).toMatch(/authorization/i);
    const resume = await preflight(allowed, '/notifications/stream', 'GET', 'last-event-id');
    expect(resume.status).toBe(204);
    expect(resume.headers['access-control-allow-origin']).toBe(allowed);
    expect(resume.headers['access-control-allow-headers']).toMatch(/last-event-id/i);
  });

  it('gives any other origin no CORS allowance: stream, REST or preflight', async () => {
    const res = await stream(other);
    res.close();
    const rest = await request(t.url)
      .get('/notifications/unread-count')
      .set('Origin', other)
      .set(bearer(user));
    const publish = await preflight(other, '/messages', 'POST', 'authorization,content-type');
    for (const headers of [res.headers, rest.headers, publish.headers]) {
      expect(headers['access-control-allow-origin']).toBeUndefined();
      expect(headers['access-control-allow-credentials']).toBeUndefined();
    }
  });
});
