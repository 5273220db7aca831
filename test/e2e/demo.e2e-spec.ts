import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { startApp, type TestApp } from '../support/app.js';
import { bearer } from '../support/tokens.js';

describe('The demo page and its development sign-in', () => {
  describe('in development', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp();
    });
    afterAll(() => t.close());

    it('serves the page at / without a token, with a strict Content-Security-Policy', async () => {
      const page = await request(t.url).get('/').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/);
      for (const asset of [...page.text.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1])) {
        await request(t.url).get(asset).expect(200);
      }
    });

    it('serves the client package as one browser module that carries its polyfill', async () => {
      const client = await request(t.url).get('/js/notification-client.js').expect(200);
      expect(client.headers['content-type']).toMatch(/javascript/);
      // event-source-polyfill is bundled in: no global script needed before it.
      expect(client.text).toContain('EventSourcePolyfill');
      expect(client.text).not.toContain('window.EventSourcePolyfill');
      expect(client.text).toMatch(/export \{[^}]*\bNotificationClient\b[^}]*\}/);
      expect(client.text).not.toMatch(/^import /m);
      // The page loads no global polyfill script, and the service serves none any more.
      const page = await request(t.url).get('/').expect(200);
      expect(page.text).not.toContain('/vendor/');
      await request(t.url).get('/vendor/event-source-polyfill/eventsource.min.js').expect(404);
    });

    it('tells the page that dev tokens exist', async () => {
      const settings = await request(t.url).get('/demo/settings').expect(200);
      expect(settings.body).toEqual({ devTokens: true });
    });

    it('mints a working token for any user and roles', async () => {
      const minted = await request(t.url)
        .post('/dev/token')
        .send({ userId: 'alice', roles: ['admin'] })
        .expect(201);
      const { token, expiresAt } = minted.body as { token: string; expiresAt: string };
      expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(3500_000);
      await request(t.url).get('/notifications').set(bearer(token)).expect(200);
      await request(t.url)
        .post('/announcements')
        .set(bearer(token))
        .send({ title: 'Hi', body: 'all' })
        .expect(201);
    });

    it.each([
      [{}, /userId/],
      [{ userId: '*' }, /userId/],
      [{ userId: 'a', roles: ['root'] }, /roles/],
      [{ userId: 'a', ttlSeconds: 0 }, /ttlSeconds/],
      [{ userId: 'a', extra: 1 }, /extra/],
    ])('refuses %j (400)', async (body, message) => {
      const refused = await request(t.url).post('/dev/token').send(body).expect(400);
      expect(JSON.stringify(refused.body)).toMatch(message);
    });
  });

  describe('in production', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({
        NODE_ENV: 'production',
        JWT_SECRET: 'production-secret-of-32-bytes-or-more',
      });
    });
    afterAll(() => t.close());

    it('serves the page, without the dev token endpoint (404)', async () => {
      await request(t.url).get('/').expect(200);
      expect((await request(t.url).get('/demo/settings').expect(200)).body).toEqual({
        devTokens: false,
      });
      await request(t.url).post('/dev/token').send({ userId: 'mallory' }).expect(404);
    });
  });

  describe('in development with a JWT_SECRET of its own (a real identity provider’s)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ JWT_SECRET: 'the-identity-providers-secret' });
    });
    afterAll(() => t.close());

    it('mints nothing with that secret: no dev token endpoint (404)', async () => {
      expect((await request(t.url).get('/demo/settings').expect(200)).body).toEqual({
        devTokens: false,
      });
      await request(t.url)
        .post('/dev/token')
        .send({ userId: 'mallory', roles: ['admin'] })
        .expect(404);
    });
  });

  describe('in development with JWT_PUBLIC_KEY (the service cannot sign)', () => {
    let t: TestApp;
    beforeAll(async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      t = await startApp({
        JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
    });
    afterAll(() => t.close());

    it('has no dev token endpoint either', async () => {
      expect((await request(t.url).get('/demo/settings').expect(200)).body).toEqual({
        devTokens: false,
      });
      await request(t.url).post('/dev/token').send({ userId: 'alice' }).expect(404);
    });
  });
});
