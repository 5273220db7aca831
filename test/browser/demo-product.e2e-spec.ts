/// <reference lib="dom" />
// page.evaluate callbacks run in the browser.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { publish, sendMessage, startWorkflow } from '../support/api.js';
import { makeDataDir, removeDataDir } from '../support/app.js';
import {
  describeWithChromium,
  devSignIn,
  launchChromium,
  toastsOf,
  waitForToast,
  waitLive,
  watchedPage,
  type WatchedPage,
} from '../support/chromium.js';
import { Instance } from '../support/instance.js';
import { freePort } from '../support/ports.js';

const ARTIFACTS = 'test/artifacts';

/**
 * Chromium's own line for a request that got no answer (the service is down): the
 * browser writes it, not the page, and no page can stop it. Everything else counts.
 */
const BROWSER_NETWORK_LOG = /^console: Failed to load resource: net::ERR_/;

function pageErrors({ errors }: WatchedPage): string[] {
  return errors.filter((error) => !BROWSER_NETWORK_LOG.test(error));
}

/** Opens the inbox panel behind the bell (if it is not open yet). */
async function openInbox(page: Page): Promise<void> {
  if ((await page.getAttribute('#bell', 'aria-expanded')) !== 'true') await page.click('#bell');
  await page.waitForSelector('#inbox-panel', { state: 'visible' });
}

/** The seconds the countdown shows once it shows at least `atLeast`. */
async function countdownOf(page: Page, atLeast: number): Promise<number> {
  const handle = await page.waitForFunction(
    (least) => {
      const text = document.querySelector('#connection-state')?.textContent ?? '';
      const seconds = Number(/^Reconnecting in (\d+) s/.exec(text)?.[1] ?? -1);
      return seconds >= least ? seconds : null;
    },
    atLeast,
    { timeout: 20000 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * The demo page as a person uses it: the bell and its inbox panel, approvals in place,
 * preferences, the header during an outage, presence, a phone and a wide screen. alice
 * streams through EventSourcePolyfill, bob through the native EventSource.
 */
describeWithChromium('The demo page as a product', () => {
  let service: Instance;
  let browser: Browser;
  const dataDir = makeDataDir();
  let env: Record<string, string>;
  let alice: WatchedPage;
  let bob: WatchedPage;

  async function open(
    user: string,
    transport: 'polyfill' | 'native',
    options: BrowserContextOptions = {},
  ): Promise<WatchedPage> {
    const watched = await watchedPage(await browser.newContext(options));
    await watched.page.goto(service.url);
    await devSignIn(watched.page, user, { transport });
    return watched;
  }

  beforeAll(async () => {
    env = { PORT: String(await freePort()), DATA_DIR: dataDir };
    [service, browser] = await Promise.all([Instance.start(env), launchChromium()]);
    alice = await open('alice', 'polyfill');
    bob = await open('bob', 'native');
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    removeDataDir(dataDir);
  });

  it('shows a type invented by a service, with nothing configured, as a toast and in the inbox', async () => {
    await publish(service, ['alice', 'bob'], 'Invoice 42 paid', { type: 'invoice.paid' });
    for (const { page } of [alice, bob]) {
      await waitForToast(page, 'Invoice 42 paid');
      await openInbox(page);
      await page.waitForSelector('#inbox li[data-type="invoice.paid"]:has-text("Invoice 42 paid")');
      // The type filter offers it, and filters by it.
      await page.selectOption('#inbox-type', 'invoice.paid');
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll<HTMLElement>('#inbox li')];
        return rows.length === 1 && rows[0].dataset.type === 'invoice.paid';
      });
      await page.selectOption('#inbox-type', '');
    }
  }, 30000);

  it('keeps a notification that arrives while the inbox is reading its first page', async () => {
    const { page } = alice;
    await openInbox(page);
    // The page is read by the service now, but reaches the browser only once released:
    // a notification stored in between is not in it.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let read = () => {};
    const wasRead = new Promise<void>((resolve) => (read = resolve));
    await page.route(/\/notifications\?/, async (route) => {
      const response = await route.fetch();
      read();
      await released;
      await route.fulfill({ response });
    });
    try {
      await page.click('#inbox-panel [data-view="all"]');
      await wasRead;
      await publish(service, ['alice'], 'Arrived mid-reload');
      await waitForToast(page, 'Arrived mid-reload');
      release();
      await page.waitForFunction(() => document.querySelector('#inbox-status')?.textContent === '');
      expect(await page.locator('#inbox li:has-text("Arrived mid-reload")').count()).toBe(1);
    } finally {
      release();
      await page.unroute(/\/notifications\?/);
    }
  }, 30000);

  it("approves in place; the buttons vanish in the other approver's window, live", async () => {
    await startWorkflow(service, 'carol', { name: 'Budget 7', approvers: ['alice', 'bob'] });
    const approve = '#inbox li:has-text("Budget 7") button:text-is("Approve")';
    for (const { page } of [alice, bob]) {
      await openInbox(page);
      await page.waitForSelector(approve);
    }
    await alice.page.click(approve);
    await alice.page.waitForSelector('#inbox li:has-text("Budget 7") .decided:text-is("approved")');
    // bob was told nothing (the decision notifies the starter): his page finds out itself.
    await bob.page.waitForSelector('#inbox li:has-text("Budget 7") .decided:text-is("approved")', {
      timeout: 10000,
    });
    for (const { page } of [alice, bob]) {
      expect(await page.locator('#inbox li:has-text("Budget 7") button.danger').count()).toBe(0);
      expect(await page.locator(approve).count()).toBe(0);
    }
  }, 45000);

  it('pages the inbox with "Load more", and moves items between All, Unread and Archived', async () => {
    for (let i = 1; i <= 23; i++) await publish(service, ['erin'], `Report ${i}`);
    const { page } = await open('erin', 'polyfill');
    await openInbox(page);
    const rows = page.locator('#inbox li');
    await page.waitForSelector('#inbox li:has-text("Report 23")');
    expect(await rows.count()).toBe(20);
    await page.click('#inbox-more');
    // The title exactly: "Report 1" is also part of "Report 19", on the first page.
    await page.waitForSelector('#inbox li .title:text-is("Report 1")');
    expect(await rows.count()).toBe(23);
    expect(await page.isHidden('#inbox-more')).toBe(true);

    await page.click('#inbox li:has-text("Report 23") button:text-is("Mark read")');
    await page.waitForSelector('#unread-badge:text-is("22")');
    await page.click('#inbox li:has-text("Report 23") button:text-is("Mark unread")');
    await page.waitForSelector('#unread-badge:text-is("23")');
    await page.click('#inbox li:has-text("Report 22") button:text-is("Archive")');
    await page.waitForSelector('#unread-badge:text-is("22")');
    await page.waitForSelector('#inbox li:has-text("Report 22")', { state: 'detached' });
    await page.click('#inbox-panel [data-view=archived]');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#inbox li')];
      return rows.length === 1 && (rows[0].textContent ?? '').includes('Report 22');
    });
    await page.click('#inbox li:has-text("Report 22") button:text-is("Unarchive")');
    await page.waitForSelector('#inbox-empty:text("Nothing archived")');
    // Back in All, read (archiving read it); Unread starts with the newest unread one.
    await page.click('#inbox-panel [data-view=all]');
    await page.waitForSelector('#inbox li[data-read=true]:has-text("Report 22")');
    await page.click('#inbox-panel [data-view=unread]');
    await page.waitForSelector('#inbox li:first-child:has-text("Report 23")');
    expect(await page.locator('#inbox li:has-text("Report 22")').count()).toBe(0);
    await page.close();
  }, 30000);

  it('stops toasting a type once it is switched off in the preferences panel', async () => {
    const { page } = alice;
    await page.click('#prefs-toggle');
    const toggle = page.locator('#prefs input[data-type="message.created"]');
    await toggle.uncheck();
    await page.waitForSelector('#prefs-status:text("message.created: off")');
    expect(await page.isDisabled('#prefs input[data-type="announcement"]')).toBe(true);

    await sendMessage(service, 'carol', ['alice'], 'muted hello');
    await startWorkflow(service, 'carol', { name: 'After the mute', approvers: ['alice'] });
    // The stream delivers in order: the workflow's toast comes after the message's would have.
    await waitForToast(page, 'After the mute');
    const texts = (await toastsOf(page)).map((toast) => toast.text);
    expect(texts).not.toContainEqual(expect.stringContaining('muted hello'));

    await toggle.check();
    await page.waitForSelector('#prefs-status:text("message.created: on")');
    await sendMessage(service, 'carol', ['alice'], 'heard again');
    await waitForToast(page, 'heard again');
    await page.keyboard.press('Escape');
    expect(await page.isHidden('#prefs-panel')).toBe(true);
  }, 30000);

  it('keeps the header in view, lists who is here, drops pointers when the stream drops, and "Retry now" reconnects at once, also from a tab that follows another, without a page error on either transport', async () => {
    // A second tab of alice's: it follows her first tab, which holds the stream.
    const aliceTab = await watchedPage(alice.page.context());
    await aliceTab.page.goto(service.url);
    await aliceTab.page.waitForSelector('#connection-state[data-status=live][data-leader=false]');
    for (const { page } of [alice, bob]) {
      await page.keyboard.press('Escape'); // closes an open panel
      await page.click('#document-toggle');
      await page.waitForSelector('#document-state:text("Joined")');
    }
    // bob moves his pointer with the keyboard.
    await bob.page.focus('#document');
    for (let i = 0; i < 5; i++) await bob.page.keyboard.press('ArrowRight');
    await alice.page.waitForSelector('#document .cursor[data-user=bob]');
    await alice.page.waitForSelector('#presence-list li[data-user=bob]');
    await bob.page.waitForSelector('#presence-list li[data-user=alice]');

    // The header stays in view when the page scrolls.
    await alice.page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    const top = await alice.page.evaluate(
      () => document.querySelector('#connection-state')!.getBoundingClientRect().top,
    );
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top).toBeLessThan(100);

    const held = '**/notifications/stream**';
    for (const { page } of [alice, bob]) {
      await page.route(held, (route) => route.abort('connectionrefused'));
    }
    // A crash, not a clean stop: the open streams break mid-body, which is what used to
    // leave an uncaught "network error" in every EventSourcePolyfill tab.
    await service.stop('SIGKILL');
    // No stale pointer, no stale list during the outage.
    await alice.page.waitForSelector('#document .cursor', { state: 'detached' });
    expect(await alice.page.locator('#presence-list li').count()).toBe(0);

    // A request during the outage says so in words, not "Failed to fetch".
    await alice.page.fill('#message-text', 'into the void');
    await alice.page.click('#message-form button[type=submit]');
    await alice.page.waitForSelector('#message-form .form-status[data-kind=error]');
    expect(await alice.page.textContent('#message-form .form-status')).toBe(
      "Can't reach the service. Check your connection and try again.",
    );
    await openInbox(alice.page);
    await alice.page.click('#inbox-panel [data-view=unread]');
    await alice.page.waitForSelector('#notice:text("Can\'t reach the service")');

    // The service is back, but the pages' attempts still fail (held): each waits longer
    // between them. "Retry now" skips the wait: bob's in the tab that holds his stream,
    // alice's in her follower tab, which asks her first tab to retry.
    service = await Instance.start(env);
    for (const [{ page: holder }, { page }] of [
      [alice, aliceTab],
      [bob, bob],
    ]) {
      const waitingFor = await countdownOf(page, 4);
      await holder.unroute(held);
      const clicked = Date.now();
      await page.click('#retry-now');
      await waitLive(page, 2500);
      expect(Date.now() - clicked).toBeLessThan((waitingFor - 1) * 1000);
      expect(await page.isHidden('#retry-now')).toBe(true);
    }
    await sendMessage(service, 'carol', ['alice', 'bob'], 'after the restart');
    for (const { page } of [alice, bob]) await waitForToast(page, 'after the restart');
    // The presence streams came back on their own: the pointers and the list too.
    await bob.page.keyboard.press('ArrowDown');
    await alice.page.waitForSelector('#document .cursor[data-user=bob]', { timeout: 20000 });

    // bob leaves: his name and pointer go.
    await bob.page.click('#document-toggle');
    await alice.page.waitForSelector('#document .cursor[data-user=bob]', { state: 'detached' });
    await alice.page.waitForSelector('#presence-list li[data-user=bob]', { state: 'detached' });

    expect(pageErrors(alice)).toEqual([]);
    expect(pageErrors(aliceTab)).toEqual([]);
    expect(pageErrors(bob)).toEqual([]);
    await aliceTab.page.close();
  }, 90000);

  it('fits a phone with 44 px targets and a wide screen with no empty column (screenshots in test/artifacts)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await startWorkflow(service, 'carol', { name: 'Laptop order', approvers: ['dana'] });

    const phone = await open('dana', 'polyfill', {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await openInbox(phone.page);
    await phone.page.waitForSelector(
      '#inbox li:has-text("Laptop order") button:text-is("Approve")',
    );
    const phoneLayout = await phone.page.evaluate(() => {
      const small = [...document.querySelectorAll<HTMLElement>('button, select, label.inline')]
        .filter((target) => target.offsetParent !== null)
        .map((target) => ({ target, box: target.getBoundingClientRect() }))
        .filter(({ box }) => box.width < 44 || box.height < 44)
        .map(({ target, box }) => `${target.textContent?.trim()}: ${box.width}×${box.height}`);
      return { small, scrollWidth: document.documentElement.scrollWidth };
    });
    expect(phoneLayout.small).toEqual([]);
    expect(phoneLayout.scrollWidth).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: `${ARTIFACTS}/demo-phone.png` });

    const desktop = await open('dana', 'native', { viewport: { width: 1440, height: 900 } });
    const columns = await desktop.page.evaluate(() => {
      const layout = document.querySelector('#app')!;
      const tracks = getComputedStyle(layout).gridTemplateColumns.split(' ').length;
      const used = new Set(
        [...layout.children].map((card) => Math.round(card.getBoundingClientRect().left)),
      );
      return { tracks, used: used.size };
    });
    expect(columns.tracks).toBeGreaterThan(1);
    expect(columns.used).toBe(columns.tracks);
    await openInbox(desktop.page);
    await desktop.page.waitForSelector('#inbox li:has-text("Laptop order")');
    await desktop.page.screenshot({ path: `${ARTIFACTS}/demo-desktop.png` });

    expect(pageErrors(phone)).toEqual([]);
    expect(pageErrors(desktop)).toEqual([]);
  }, 60000);
});
