import { afterAll, beforeAll, describe } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Instance } from './instance.js';

/** Debian's Chromium (`apt-get install chromium`): playwright-core drives it, downloads nothing. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * `describe` for suites that need a real browser: skipped, with a loud warning, on a
 * machine without Chromium; under CI=true that is a failure instead (.ci/run installs it).
 */
export function describeWithChromium(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, suite);
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(
      `${CHROMIUM} is missing but CI needs "${name}" to run (apt-get install chromium)`,
    );
  }
  console.warn(
    `\n*** SKIPPED "${name}": ${CHROMIUM} is missing (apt-get install chromium). ` +
      'Under CI=true this fails instead. ***\n',
  );
  describe.skip(name, suite);
}

/**
 * Headless Chromium, quiet and self-contained: no GPU, no QUIC, no first-run, background
 * or update traffic. Playwright gives every launch a fresh temporary profile (it refuses
 * a --user-data-dir of our own with `launch`, and removes its own on close).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page whose console errors, uncaught exceptions and failed requests are recorded. */
/**
 * One service instance (dist/main.js on its embedded defaults) and one Chromium for a
 * suite: started together before its tests, stopped after them. Read them in tests,
 * once the suite's hooks ran.
 */
export function serviceAndChromium(): { readonly service: Instance; readonly browser: Browser } {
  const suite = {} as { service: Instance; browser: Browser };
  beforeAll(async () => {
    [suite.service, suite.browser] = await Promise.all([Instance.start(), launchChromium()]);
  }, 60000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.service?.stop();
  });
  return suite;
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions, as text. */
  errors: string[];
}

/**
 * Every toast and every submitted form, with the browser's clock, recorded from the
 * page's start: toasts leave after a few seconds, and the time between a click in one
 * context and a toast in another is best measured on the one clock both share.
 * (Injected through the DevTools protocol, so the page's CSP does not apply to it.)
 */
const RECORDER = `
  window.__toasts = [];
  window.__submits = [];
  document.addEventListener('submit', (event) => {
    window.__submits.push({ form: event.target.id, at: performance.timeOrigin + performance.now() });
  }, true);
  new MutationObserver((mutations) => {
    const at = performance.timeOrigin + performance.now();
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.classList && node.classList.contains('toast')) {
          window.__toasts.push({ id: node.dataset.id, type: node.dataset.type, text: node.textContent, at });
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
`;

export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  await page.addInitScript(RECORDER);
  return { page, errors };
}

export interface RecordedToast {
  id: string;
  type: string;
  text: string;
  /** Epoch milliseconds, browser clock. */
  at: number;
}

/** The toasts a page has shown since it loaded, oldest first. */
export function toastsOf(page: Page): Promise<RecordedToast[]> {
  return page.evaluate(() => (window as unknown as { __toasts: RecordedToast[] }).__toasts);
}

/** Waits (10 s at most) until the page has shown a toast containing `text`. */
export async function waitForToast(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      (window as unknown as { __toasts: RecordedToast[] }).__toasts.some((toast) =>
        toast.text.includes(wanted),
      ),
    text,
    { timeout: 10000 },
  );
}

/** When each form of the page was last submitted (epoch ms, browser clock). */
export async function lastSubmit(page: Page, formId: string): Promise<number> {
  const submits = await page.evaluate(
    () => (window as unknown as { __submits: { form: string; at: number }[] }).__submits,
  );
  const last = submits.filter((submit) => submit.form === formId).pop();
  if (!last) throw new Error(`#${formId} was never submitted`);
  return last.at;
}

/** Signs in through the page's development form. */
export async function devSignIn(
  page: Page,
  userId: string,
  {
    roles = [],
    transport = 'polyfill',
  }: { roles?: string[]; transport?: 'polyfill' | 'native' } = {},
): Promise<void> {
  await page.fill('#sign-in-user', userId);
  for (const role of roles) await page.check(`input[name=roles][value=${role}]`);
  await page.check(`input[name=transport][value=${transport}]`);
  await page.click('#sign-in-form button[type=submit]');
  await waitLive(page);
}

/** Waits until the page shows its stream (its own or its leader tab's) as live. */
export async function waitLive(page: Page, timeout = 10000): Promise<void> {
  await page.waitForSelector('#connection-state[data-status=live]', { timeout });
}
