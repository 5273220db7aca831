/// <reference lib="dom" />
// page.evaluate callbacks run in the browser.
import { expect, it } from '@jest/globals';
import { sleep } from '../support/app.js';
import {
  describeWithChromium,
  serviceAndChromium,
  toastsOf,
  waitLive,
  watchedPage,
} from '../support/chromium.js';
import { bearer, token } from '../support/tokens.js';

/** Where the demo page keeps its session (web/src/session.ts). */
const SESSION_KEY = 'notification-hub-demo:session';

/**
 * `token-expiring` in a real browser: the page's dev session holds a token that expires
 * in 38 s, so the stream warns 8 s after opening; the client renews the token and
 * reconnects with it at once, resuming after its last cursor, losing nothing.
 */
describeWithChromium('The demo page when its token is about to expire', () => {
  const suite = serviceAndChromium();

  it('reconnects with a fresh token on token-expiring, losing nothing', async () => {
    const { page, errors } = await watchedPage(await suite.browser.newContext());
    const authorizations: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/notifications/stream')) {
        authorizations.push(request.headers().authorization ?? '');
      }
    });
    await page.goto(suite.service.url);
    const session = {
      token: token('gus', { ttl: 38 }),
      userId: 'gus',
      roles: [],
      transport: 'polyfill',
      dev: true,
    };
    // A string, evaluated in the page: the tests' TypeScript knows no DOM.
    await page.evaluate(
      `localStorage.setItem(${JSON.stringify(SESSION_KEY)}, ${JSON.stringify(JSON.stringify(session))})`,
    );
    await page.reload();
    await waitLive(page);
    expect(authorizations).toEqual([`Bearer ${session.token}`]);

    const sent: string[] = [];
    const send = async (text: string) => {
      const response = await fetch(`${suite.service.url}/messages`, {
        method: 'POST',
        headers: { ...bearer(token('hal')), 'Content-Type': 'application/json' },
        body: JSON.stringify({ text, to: ['gus'] }),
      });
      expect(response.status).toBe(201);
      sent.push(text);
    };
    for (let i = 0; i < 24 && authorizations.length < 2; i++) {
      await send(`around the renewal ${i}`);
      await sleep(500);
    }
    expect(authorizations).toHaveLength(2);
    expect(authorizations[1]).not.toBe(authorizations[0]);
    await waitLive(page);
    await send('after the renewal');
    await page.waitForFunction(
      (count) => (window as unknown as { __toasts: unknown[] }).__toasts.length >= count,
      sent.length,
    );
    const shown = (await toastsOf(page)).map((toast) => toast.text);
    expect(shown).toHaveLength(sent.length);
    for (const [i, text] of sent.entries()) expect(shown[i]).toContain(text);
    expect(errors).toEqual([]);
  }, 40000);
});
