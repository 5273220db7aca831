import { afterEach, beforeAll, afterAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import {
  describeWithChromium,
  devSignIn,
  launchChromium,
  waitLive,
  watchedPage,
  type WatchedPage,
} from '../support/chromium.js';
import { Instance } from '../support/instance.js';
import { token } from '../support/tokens.js';

const PRODUCTION_SECRET = 'browser-suite-production-secret-of-32-bytes-or-more';

/**
 * The page loads and works without a single console error (a CSP violation, a 404, an
 * exception) in development and in production mode, through both transports.
 */
describeWithChromium('The demo page in the console', () => {
  let browser: Browser;
  let service: Instance | null = null;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await service?.stop();
    service = null;
  });

  /** Uses what the page offers once signed in: a message, a workflow and its timeline, presence. */
  async function useThePage({ page }: WatchedPage): Promise<void> {
    await page.fill('#message-to', 'someone');
    await page.fill('#message-text', 'Hello');
    await page.click('#message-form button[type=submit]');
    await page.waitForSelector('#message-form .form-status:text("Sent")');
    await page.fill('#workflow-name', 'Budget');
    await page.click('#workflow-form button[type=submit]');
    await page.waitForSelector('#timeline li:text("workflow.started")');
    await page.click('#document-toggle');
    await page.waitForSelector('#document-state:text("Joined")');
    await page.hover('#document');
    await page.reload();
    await waitLive(page);
  }

  it('development: sign-in as anyone, EventSourcePolyfill', async () => {
    service = await Instance.start();
    const watched = await watchedPage(await browser.newContext());
    const response = await watched.page.goto(service.url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await watched.page.isVisible('#dev-sign-in')).toBe(true);
    await devSignIn(watched.page, 'dana', { roles: ['admin'] });
    expect(await watched.page.isVisible('#announcement-form')).toBe(true);
    await useThePage(watched);
    expect(watched.errors).toEqual([]);
  }, 60000);

  it('production: no dev sign-in (404), a pasted token, native EventSource with a ticket', async () => {
    service = await Instance.start({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET });
    const devToken = await fetch(`${service.url}/dev/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: 'mallory', roles: ['admin'] }),
    });
    expect(devToken.status).toBe(404);

    const watched = await watchedPage(await browser.newContext());
    const { page } = watched;
    await page.goto(service.url);
    expect(await page.isVisible('#dev-sign-in')).toBe(false);
    await page.fill('#sign-in-token', token('erin', { secret: PRODUCTION_SECRET }));
    await page.check('input[name=transport][value=native]');
    await page.click('#sign-in-form button[type=submit]');
    await waitLive(page);
    expect(await page.textContent('#who')).toContain('erin');
    expect(await page.isVisible('#announcement-form')).toBe(false);
    await useThePage(watched);
    expect(watched.errors).toEqual([]);
  }, 60000);
});
