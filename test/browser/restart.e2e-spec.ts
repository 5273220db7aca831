import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { sendMessage } from '../support/api.js';
import { makeDataDir, removeDataDir } from '../support/app.js';
import {
  describeWithChromium,
  devSignIn,
  launchChromium,
  toastsOf,
  waitLive,
  watchedPage,
} from '../support/chromium.js';
import { Instance } from '../support/instance.js';
import { freePort } from '../support/ports.js';
import { parseMetrics, valueOf } from '../support/prometheus.js';

/**
 * The service restarts (same port, same DATA_DIR) under an open page: the page shows
 * that it reconnects, resumes after its last cursor, and shows what was published while
 * it was away. The page's stream requests are held off while the new instance takes the
 * notifications, so that they can only reach the page through the resume.
 */
describeWithChromium('The demo page across a restart of the service', () => {
  let browser: Browser;
  let service: Instance;
  const dataDir = makeDataDir();
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { PORT: String(await freePort()), DATA_DIR: dataDir };
    [service, browser] = await Promise.all([Instance.start(env), launchChromium()]);
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    removeDataDir(dataDir);
  });

  it('reconnects with its last id and shows the notifications published while it was away', async () => {
    const { page } = await watchedPage(await browser.newContext());
    await page.goto(service.url);
    await devSignIn(page, 'bob');
    await page.click('#bell'); // opens the inbox panel
    await sendMessage(service, 'alice', ['bob'], 'before the restart');
    await page.waitForSelector('#inbox li:has-text("before the restart")');

    const held = '**/notifications/stream**';
    await page.route(held, (route) => route.abort('connectionrefused'));
    expect(await service.stop()).toBe(0);
    // The countdown and the retry's own "Connecting…" alternate while the service is down:
    // read the state and its text together, not one after the other.
    // (This wait times out, failing the test, if the countdown is never shown.)
    const reconnecting = await page.waitForFunction(() => {
      const state = document.querySelector('#connection-state');
      const text = state?.textContent ?? '';
      return state?.getAttribute('data-status') === 'reconnecting' &&
        text.startsWith('Reconnecting')
        ? text
        : null;
    });
    expect(await reconnecting.jsonValue()).toMatch(/^Reconnecting in \d+ s…$/);

    service = await Instance.start(env);
    await sendMessage(service, 'alice', ['bob'], 'while away 1');
    await sendMessage(service, 'alice', ['bob'], 'while away 2');
    await page.unroute(held);

    await waitLive(page, 20000);
    for (const text of ['while away 1', 'while away 2']) {
      await page.waitForSelector(`#inbox li:has-text("${text}")`);
    }
    const toasts = (await toastsOf(page)).map((toast) => toast.text);
    expect(toasts).toEqual([
      expect.stringContaining('before the restart'),
      expect.stringContaining('while away 1'),
      expect.stringContaining('while away 2'),
    ]);
    // They came through the resume: the new instance replayed them.
    const metrics = parseMetrics(await (await fetch(`${service.url}/metrics`)).text());
    expect(valueOf(metrics, 'notification_hub_replayed_total')).toBe(2);
    expect(await page.textContent('#unread-badge')).toBe('3');
  }, 60000);
});
