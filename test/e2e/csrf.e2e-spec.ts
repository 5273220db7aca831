import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startApp, type TestApp } from '../support/app.js';
import { bearer, token } from '../support/tokens.js';
import { unreadCount as unreadCountOf } from '../support/api.js';

interface Workflow {
  id: string;
}

const LISTED = 'https://app.example';

/**
 * Cross-site request forgery through the access_token cookie (CONTRACT.md, "Tokens"): a
 * browser sends the cookie with a form another site posts, so a request authenticated by
 * the cookie changes something only when it comes from the service's own origin or one of
 * CORS_ORIGINS.
 */
describe('Cookie-authenticated requests and their origin', () => {
  let t: TestApp;
  /** The service's own origin, as a browser on it would send it. */
  let own: string;

  beforeAll(async () => {
    t = await startApp({ CORS_ORIGINS: LISTED, PUBLISH_RATE_LIMIT: '100000' });
    own = t.url;
  });
  afterAll(() => t.close());

  const cookie = (user: string) => ({ Cookie: `access_token=${token(user)}` });
  const startWorkflow = async (approver: string) =>
    (
      await request(t.url)
        .post('/workflows')
        .set(bearer(token('starter')))
        .send({ name: 'wf', approvers: [approver] })
        .expect(201)
    ).body as Workflow;
  /**
   * Whether the workflow was still pending: its starter cancels it, which only a pending
   * workflow allows (201; a decided one answers 409).
   */
  const wasPending = async (id: string) => {
    const res = await request(t.url)
      .post(`/workflows/${id}/cancel`)
      .set(bearer(token('starter')));
    expect([201, 409]).toContain(res.status);
    return res.status === 201;
  };
  /** Gives `user` one unread notification; answers their unread count. */
  const notify = async (user: string) => {
    await request(t.url)
      .post('/messages')
      .set(bearer(token('sender')))
      .send({ text: 'hi', to: [user] })
      .expect(201);
    return unread(user);
  };
  const unread = (user: string) => unreadCountOf(t, user);
  /** What a form on another site posts: an empty urlencoded body, with the victim's cookie. */
  const formPost = (path: string, user: string, headers: Record<string, string>) =>
    request(t.url)
      .post(path)
      .set(cookie(user))
      .set(headers)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('');

  it.each([
    ['Origin: https://evil.example', { Origin: 'https://evil.example' }, /https:\/\/evil\.example/],
    ['Origin: null (a sandboxed frame)', { Origin: 'null' }, /null/],
    ['no Origin, a foreign Referer', { Referer: 'https://evil.example/page' }, /evil\.example/],
    ['neither Origin nor Referer', {}, /neither an Origin nor a Referer/],
    // The scheme is part of the origin: a plain-http page may not act on the https service.
    [
      'the own host over http behind a TLS proxy',
      { 'X-Forwarded-Proto': 'https', Origin: 'http://HOST' },
      /http:\/\//,
    ],
  ])(
    'refuses an approval by cookie with %s: 403, the workflow stays pending',
    async (_, headers, reason) => {
      const workflow = await startWorkflow('approver');
      const withHost = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, v.replace('HOST', new URL(t.url).host)]),
      );
      const res = await formPost(`/workflows/${workflow.id}/approve`, 'approver', withHost).expect(
        403,
      );
      expect(res.body).toEqual({
        statusCode: 403,
        message: expect.stringMatching(reason),
        error: 'Forbidden',
      });
      expect((res.body as { message: string }).message).toMatch(/access_token cookie/);
      expect(await wasPending(workflow.id)).toBe(true);
    },
  );

  it('refuses read-all by cookie from another origin: 403, nothing marked read', async () => {
    const before = await notify('reader');
    expect(before).toBeGreaterThan(0);
    await formPost('/notifications/read-all', 'reader', {
      Origin: 'https://evil.example',
    }).expect(403);
    expect(await unread('reader')).toBe(before);
  });

  it.each([
    ['its own origin', () => ({ Origin: own })],
    ['an origin in CORS_ORIGINS', () => ({ Origin: LISTED })],
    ['no Origin but a Referer on its own origin', () => ({ Referer: `${own}/demo?x=1` })],
    [
      'its own origin as a TLS proxy in front of it serves it',
      () => ({ 'X-Forwarded-Proto': 'https', Origin: `https://${new URL(own).host}` }),
    ],
  ])('accepts an approval by cookie from %s', async (_, headers) => {
    const workflow = await startWorkflow('approver');
    await formPost(`/workflows/${workflow.id}/approve`, 'approver', headers()).expect(201);
    expect(await wasPending(workflow.id)).toBe(false);
  });

  it('accepts read-all by cookie from its own origin', async () => {
    expect(await notify('own-reader')).toBeGreaterThan(0);
    await formPost('/notifications/read-all', 'own-reader', { Origin: own }).expect(204);
    expect(await unread('own-reader')).toBe(0);
  });

  it.each([
    ['the Authorization header', (jwt: string) => ({ path: '', headers: bearer(jwt) })],
    ['the query', (jwt: string) => ({ path: `?access_token=${jwt}`, headers: {} })],
  ])('does not ask a token in %s where the request came from', async (_, place) => {
    const workflow = await startWorkflow('approver');
    const { path, headers } = place(token('approver'));
    await request(t.url)
      .post(`/workflows/${workflow.id}/approve${path}`)
      .set(headers)
      .set('Origin', 'https://evil.example')
      .send({})
      .expect(201);
    expect(await wasPending(workflow.id)).toBe(false);
  });

  it('lets a cookie read from any origin (CORS keeps the answer from a foreign page)', async () => {
    await request(t.url)
      .get('/notifications/unread-count')
      .set(cookie('reader'))
      .set('Origin', 'https://evil.example')
      .expect(200);
  });
});
