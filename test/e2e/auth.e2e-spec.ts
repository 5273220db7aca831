import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { DEV_JWT_SECRET } from '../../src/config.js';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token, tokenWithRawClaims } from '../support/tokens.js';

const now = () => Math.floor(Date.now() / 1000);
const unsigned = (claims: object) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.` +
  `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

/** Records every line the application logs, to prove what never reaches a log. */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...parts: unknown[]) => this.record(parts);
  error = (...parts: unknown[]) => this.record(parts);
  warn = (...parts: unknown[]) => this.record(parts);
  debug = (...parts: unknown[]) => this.record(parts);
  verbose = (...parts: unknown[]) => this.record(parts);
  fatal = (...parts: unknown[]) => this.record(parts);
  private record(parts: unknown[]) {
    this.lines.push(
      parts.map((part) => (part instanceof Error ? part.stack : String(part))).join(' '),
    );
  }
}

describe('Authentication (HS256 with JWT_SECRET, issuer and audience)', () => {
  const secret = 'test-secret-of-reasonable-length';
  const sign = (claims: object, options: jwt.SignOptions = {}) =>
    jwt.sign(claims, secret, { algorithm: 'HS256', issuer: 'idp', audience: 'hub', ...options });
  const valid = (userId = 'alice', extra: object = {}) =>
    sign({ sub: userId, exp: now() + 600, ...extra });
  const logger = new RecordingLogger();
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(
      { JWT_SECRET: secret, JWT_ISSUER: 'idp', JWT_AUDIENCE: 'hub', HEARTBEAT_MS: '1000' },
      logger,
    );
  });
  afterEach(async () => {
    closeAllClients();
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  const rejected: [string, () => Record<string, string>, RegExp][] = [
    ['no token at all', () => ({}), /Missing token/],
    ['an expired token', () => bearer(sign({ sub: 'a', exp: now() - 10 })), /expired/],
    [
      'a bad signature',
      () =>
        bearer(
          jwt.sign({ sub: 'a' }, 'other-secret', { expiresIn: 60, issuer: 'idp', audience: 'hub' }),
        ),
      /signature/,
    ],
    [
      'alg: none',
      () => bearer(unsigned({ sub: 'a', exp: now() + 60, iss: 'idp', aud: 'hub' })),
      /signature/,
    ],
    [
      'a wrong algorithm',
      () => bearer(sign({ sub: 'a', exp: now() + 60 }, { algorithm: 'HS512' })),
      /algorithm/,
    ],
    [
      'a wrong issuer',
      () => bearer(sign({ sub: 'a', exp: now() + 60 }, { issuer: 'evil' })),
      /issuer/,
    ],
    [
      'a wrong audience',
      () => bearer(sign({ sub: 'a', exp: now() + 60 }, { audience: 'x' })),
      /audience/,
    ],
    ['a malformed token', () => bearer('not.a.jwt'), /Invalid token/],
    ['a token without sub', () => bearer(sign({ exp: now() + 60 })), /sub/],
    ['a token without exp', () => bearer(sign({ sub: 'a' })), /exp/],
    ['roles that are not strings', () => bearer(valid('a', { roles: [1] })), /roles/],
    [
      'a non-Bearer Authorization header',
      () => ({ Authorization: `Basic ${valid()}` }),
      /Missing token/,
    ],
  ];

  it.each(rejected)(
    'answers 401 with a JSON message and no stream for %s',
    async (_, headers, message) => {
      const res = await fetch(`${t.url}/notifications/stream`, { headers: headers() });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { statusCode: number; message: string };
      expect(body.statusCode).toBe(401);
      expect(body.message).toMatch(message);
      expect(t.streams.size).toBe(0);
    },
  );

  /** Claims written as JSON text, so that numbers JSON.stringify cannot write (1e400) fit. */
  const raw = (claims: string) => tokenWithRawClaims(`{"iss":"idp","aud":"hub",${claims}}`, secret);
  const YEAR = 365.25 * 24 * 3600;
  const harmful: [string, () => string, RegExp][] = [
    ['exp 8640000000001 (past the last Date)', () => raw(`"sub":"a","exp":8640000000001`), /exp/],
    ['exp 1e400 (Infinity once parsed)', () => raw(`"sub":"a","exp":1e400`), /exp/],
    ['exp 101 years ahead', () => raw(`"sub":"a","exp":${now() + Math.ceil(101 * YEAR)}`), /exp/],
    ['exp as a string', () => raw(`"sub":"a","exp":"${now() + 600}"`), /exp/],
    ['nbf -1e400', () => raw(`"sub":"a","exp":${now() + 600},"nbf":-1e400`), /nbf/],
    [
      'nbf 8640000000001',
      () => raw(`"sub":"a","exp":${now() + 600},"nbf":8640000000001`),
      /nbf|active/,
    ],
    ['a sub with a lone high surrogate', () => valid('x\ud800'), /sub/],
    ['a sub with a lone low surrogate', () => valid('\udc00x'), /sub/],
    ['the sub "*" (the broadcast marker)', () => valid('*'), /sub/],
    ['a name with a lone surrogate', () => valid('a', { name: 'Ann \ud83d' }), /name/],
  ];

  it.each(harmful)(
    'answers 401 to %s on REST and on a stream, and stays up',
    async (_, make, message) => {
      const harmfulToken = make();
      const rest = await fetch(`${t.url}/notifications/unread-count`, {
        headers: bearer(harmfulToken),
      });
      expect(rest.status).toBe(401);
      expect(((await rest.json()) as { message: string }).message).toMatch(message);
      const stream = await fetch(`${t.url}/notifications/stream`, {
        headers: bearer(harmfulToken),
      });
      expect(stream.status).toBe(401);
      expect(t.streams.size).toBe(0);
      await request(t.url).get('/notifications/unread-count').set(bearer(valid())).expect(200);
    },
  );

  it('accepts an exp and an nbf within the next 100 years, and a sub of any valid Unicode', async () => {
    const exp = now() + Math.floor(99 * YEAR);
    for (const claims of [
      `"sub":"a","exp":${exp}`,
      `"sub":"a","exp":${exp},"nbf":${now() - 60}`,
      `"sub":"😀 \ufffd \ud83d\ude00","exp":${now() + 600}`,
    ]) {
      const res = await request(t.url)
        .get('/notifications/unread-count')
        .set(bearer(raw(claims)))
        .expect(200);
      expect(res.body).toEqual({ count: 0 });
    }
  });

  it.each([
    ['POST /messages', '/messages'],
    ['POST /workflows', '/workflows'],
    ['POST /announcements', '/announcements'],
    ['POST /notifications', '/notifications'],
  ])('guards %s too', async (_, path) => {
    await request(t.url).post(path).send({}).expect(401);
  });

  it('looks past an Authorization header of another scheme to the access_token query parameter', async () => {
    const res = await fetch(
      `${t.url}/notifications/unread-count?access_token=${valid('proxied')}`,
      {
        headers: { Authorization: 'Basic cHJveHk6c2VjcmV0' },
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 0 });
  });

  it('needs no token for GET /health', async () => {
    const health = await request(t.url).get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok' });
  });

  it.each(['header', 'query', 'cookie'] as const)(
    'accepts the token from the %s',
    async (place) => {
      const client = await new StreamClient(t.url, valid(`by-${place}`), { place }).ready();
      await request(t.url)
        .post('/messages')
        .set(bearer(valid('sender')))
        .send({ text: 'hi', to: [`by-${place}`] })
        .expect(201);
      await client.waitForEvents(1);
      expect(client.payloads()[0]).toMatchObject({ recipient: `by-${place}`, actorId: 'sender' });
    },
  );

  it('takes the header first: a bad header is not rescued by a good query token', async () => {
    const res = await fetch(`${t.url}/notifications/stream?access_token=${valid()}`, {
      headers: bearer('garbage'),
    });
    expect(res.status).toBe(401);
  });

  it('never writes a token given in the URL to a log line', async () => {
    const good = valid('logged');
    const expired = sign({ sub: 'logged', exp: now() - 10 });
    const client = await new StreamClient(t.url, good, { place: 'query' }).ready();
    client.close();
    await fetch(`${t.url}/notifications/stream?access_token=${expired}`);
    await fetch(`${t.url}/nowhere?access_token=${good}`);
    await request(t.url).post(`/messages?access_token=${good}`).send({ text: 5 }).expect(400);
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const secretPart of [good, expired, good.split('.')[2], expired.split('.')[2]]) {
      expect(logger.lines.filter((line) => line.includes(secretPart))).toEqual([]);
    }
  });
});

describe('Authentication with JWT_PUBLIC_KEY', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = (key: typeof rsa.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();
  let rsaApp: TestApp;
  let ecApp: TestApp;

  beforeAll(async () => {
    rsaApp = await startApp({ JWT_PUBLIC_KEY: pem(rsa.publicKey) });
    ecApp = await startApp({ JWT_PUBLIC_KEY: pem(ec.publicKey) });
  });
  afterAll(async () => {
    await rsaApp.close();
    await ecApp.close();
  });

  const status = async (app: TestApp, jwtToken: string) =>
    (
      await request(app.url)
        .post('/messages')
        .set(bearer(jwtToken))
        .send({ text: 'x', to: ['b'] })
    ).status;
  const claims = () => ({ sub: 'alice', exp: now() + 60 });

  it('accepts RS256 tokens signed with the matching private key', async () => {
    expect(await status(rsaApp, jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' }))).toBe(
      201,
    );
  });

  it('accepts ES256 tokens signed with the matching private key', async () => {
    expect(await status(ecApp, jwt.sign(claims(), ec.privateKey, { algorithm: 'ES256' }))).toBe(
      201,
    );
  });

  it('refuses HS256 tokens, even one signed with the public key as its secret', async () => {
    expect(await status(rsaApp, jwt.sign(claims(), DEV_JWT_SECRET, { algorithm: 'HS256' }))).toBe(
      401,
    );
    const confused = jwt.sign(claims(), Buffer.from(pem(rsa.publicKey)), {
      algorithm: 'HS256',
      allowInsecureKeySizes: true,
      allowInvalidAsymmetricKeyTypes: true,
    });
    expect(await status(rsaApp, confused)).toBe(401);
  });

  it('refuses a token signed by another key pair', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await status(rsaApp, jwt.sign(claims(), other.privateKey, { algorithm: 'RS256' }))).toBe(
      401,
    );
  });
});

describe('A stream and its token’s exp', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RETRY_MS: '100' });
  });
  afterAll(() => t.close());

  it('sends token-expiring at once when less than 30 s are left, then ends at exp', async () => {
    const expiresInSeconds = 2;
    const short = token('brief', { ttl: expiresInSeconds });
    const exp = (jwt.decode(short) as { exp: number }).exp;
    const stream = new RawStream(`${t.url}/notifications/stream`, bearer(short));
    await stream.waitForBody('token-expiring');
    const warning = stream.blocks.find((block) => block.includes('token-expiring'))!;
    expect(warning).toBe(
      `event: token-expiring\ndata: ${JSON.stringify({ expiresAt: new Date(exp * 1000).toISOString() })}`,
    );
    await stream.waitForEnd(expiresInSeconds * 1000 + 2000);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
    expect(t.streams.size).toBe(0);
  });

  it('leaves an EventSource that reconnects with the expired token with a 401, closed for good', async () => {
    const client = await new StreamClient(t.url, token('brief2', { ttl: 1 })).ready();
    await eventually(
      () => client.errors.some((error) => error.code === 401),
      'a 401 on reconnect',
      5000,
    );
    expect(client.readyState).toBe(2);
    expect(client.payloads('token-expiring')).toHaveLength(1);
    client.close();
  });
});
