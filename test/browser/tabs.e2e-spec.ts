/// <reference lib="dom" />
// page.evaluate callbacks run in the browser.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { sendMessage } from '../support/api.js';
import { sleep } from '../support/app.js';
import {
  describeWithChromium,
  devSignIn,
  serviceAndChromium,
  toastsOf,
  waitLive,
  watchedPage,
  type WatchedPage,
} from '../support/chromium.js';
import { Instance } from '../support/instance.js';
import { parseMetrics, valueOf } from '../support/prometheus.js';

/** Streams open on the instance, from its metrics. */
async function streamsOpen(service: Instance): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return valueOf(parseMetrics(text), 'notification_hub_streams_open');
}

/** Waits until the instance holds exactly `count` streams (a closed tab's takes a moment). */
async function untilStreamsOpen(service: Instance, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await streamsOpen(service)) !== count) {
    if (Date.now() > deadline)
      throw new Error(`Not ${count} streams open but ${await streamsOpen(service)}`);
    await sleep(50);
  }
}

async function isLeader(page: Page): Promise<boolean> {
  return (await page.getAttribute('#connection-state', 'data-leader')) === 'true';
}

/** The texts of the toasts a tab has shown, failing on a notification shown twice. */
async function toastTexts(page: Page): Promise<string[]> {
  const toasts = await toastsOf(page);
  const ids = toasts.map((toast) => toast.id);
  expect(new Set(ids).size).toBe(ids.length);
  return toasts.map((toast) => toast.text);
}

/**
 * Tabs of one user in one browser hold one stream between them: one tab leads and relays
 * to the others over a BroadcastChannel. Both elections: Web Locks (what a page on
 * localhost or https uses) and BroadcastChannel heartbeats (where Web Locks are missing).
 */
describeWithChromium('Tabs of one browser', () => {
  const suite = serviceAndChromium();

  describe.each(['locks', 'broadcast'])('electing the leader with %s', (election) => {
    const user = `tess-${election}`;
    const tabs: WatchedPage[] = [];

    beforeAll(async () => {
      const context = await suite.browser.newContext();
      for (let i = 0; i < 3; i++) {
        const tab = await watchedPage(context);
        await tab.page.goto(`${suite.service.url}/?election=${election}`);
        // The first tab signs in; the others find the session the browser keeps.
        if (i === 0) await devSignIn(tab.page, user);
        else await waitLive(tab.page);
        tabs.push(tab);
      }
    }, 60000);

    afterAll(async () => {
      await tabs[0]?.page.context().close();
    });

    it('share one stream, and every tab shows each toast once', async () => {
      await untilStreamsOpen(suite.service, 1);
      const leaders = await Promise.all(tabs.map(({ page }) => isLeader(page)));
      expect(leaders.filter(Boolean)).toHaveLength(1);

      for (const text of ['one', 'two', 'three'])
        await sendMessage(suite.service, 'pat', [user], `${election} ${text}`);
      for (const { page } of tabs) {
        await page.waitForFunction(
          () => (window as unknown as { __toasts: unknown[] }).__toasts.length >= 3,
        );
        expect(await toastTexts(page)).toEqual([
          expect.stringContaining(`${election} one`),
          expect.stringContaining(`${election} two`),
          expect.stringContaining(`${election} three`),
        ]);
      }
      expect(await streamsOpen(suite.service)).toBe(1);
    }, 30000);

    it('hand the stream to another tab when the leader closes, losing no notification', async () => {
      const leader = (await Promise.all(tabs.map(({ page }) => isLeader(page)))).indexOf(true);
      const [closing] = tabs.splice(leader, 1);
      const sent: string[] = [];
      const publishing = (async () => {
        for (let i = 1; i <= 12; i++) {
          const text = `${election} handover ${i}`;
          await sendMessage(suite.service, 'pat', [user], text);
          sent.push(text);
          await sleep(100);
        }
      })();
      await sleep(350);
      await closing.page.close();
      await publishing;

      for (const { page } of tabs) {
        await page.waitForFunction(
          () => (window as unknown as { __toasts: unknown[] }).__toasts.length >= 15,
          undefined,
          { timeout: 15000 },
        );
        const shown = await toastTexts(page);
        for (const text of sent) expect(shown).toContainEqual(expect.stringContaining(text));
      }
      const leaders = await Promise.all(tabs.map(({ page }) => isLeader(page)));
      expect(leaders.filter(Boolean)).toHaveLength(1);
      await untilStreamsOpen(suite.service, 1);
      // The new leader's stream resumed after the last cursor the tabs had seen.
      expect(suite.service.output).toContain(`"userId":"${user}","resumed":true`);
      expect(tabs.flatMap((tab) => tab.errors)).toEqual([]);
    }, 40000);
  });

  describe('electing the leader with broadcast, when messages cross', () => {
    const user = 'tess-crossed';
    /** How many streams the user's tabs have opened so far, from the service's log. */
    const streamsOpened = () =>
      suite.service.output
        .split('\n')
        .filter((line) => line.includes('stream.opened') && line.includes(`"userId":"${user}"`))
        .length;

    it('ignores a resignation heard after another leader’s heartbeat: no second leader, no second stream', async () => {
      const context = await suite.browser.newContext();
      try {
        const pages: Page[] = [];
        for (let i = 0; i < 2; i++) {
          const { page } = await watchedPage(context);
          await page.goto(`${suite.service.url}/?election=broadcast`);
          if (i === 0) await devSignIn(page, user);
          else await waitLive(page);
          pages.push(page);
        }
        await untilStreamsOpen(suite.service, 1);
        const leaders = await Promise.all(pages.map(isLeader));
        expect(leaders.filter(Boolean)).toHaveLength(1);
        const opened = streamsOpened();

        // What a follower hears when a handover's messages cross: the resignation of a
        // leader that is no longer the one it hears.
        await pages[0].evaluate((channel) => {
          const election = new BroadcastChannel(channel);
          election.postMessage({ type: 'resign', id: 'an-earlier-leader' });
          election.close();
        }, `notification-hub-demo:${user}:election`);
        // A follower that believed it would claim within half a second.
        await sleep(1500);

        expect(streamsOpened()).toBe(opened);
        expect(await Promise.all(pages.map(isLeader))).toEqual(leaders);
      } finally {
        await context.close();
      }
    }, 30000);
  });
});
