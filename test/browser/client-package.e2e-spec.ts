import { expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { describeWithChromium, serviceAndChromium, watchedPage } from '../support/chromium.js';
import { Instance } from '../support/instance.js';
import { bearer, token } from '../support/tokens.js';

/** What the page under test keeps on `window` (set by {@link startClient}). */
interface Recorded {
  notifications: { id: string; type: string; title: string }[];
  types: string[][];
  preferences: { types: Record<string, boolean> }[];
  state: string;
}

/**
 * The client exactly as the service serves it to adopters (/js/notification-client.js, an
 * ES module with its polyfill inside, imported by a page of the service's origin), started
 * with no `types` option at all. Evaluated as a string: the tests' TypeScript knows no DOM.
 */
async function startClient(page: Page, user: string, transport: string): Promise<void> {
  await page.evaluate(`(async () => {
    const hub = await import('/js/notification-client.js');
    const recorded = { notifications: [], types: [], preferences: [], state: '' };
    window.__recorded = recorded;
    const client = new hub.NotificationClient({
      channel: 'client-package-test:${user}',
      getToken: async () => ${JSON.stringify(token(user))},
      transport: ${JSON.stringify(transport)},
    });
    client.on('notification', (n) => recorded.notifications.push(n));
    client.on('types', (types) => recorded.types.push(types));
    client.on('preferences', (p) => recorded.preferences.push(p));
    client.on('state', (state) => (recorded.state = state.status));
    window.__client = client;
    window.__hub = hub;
    client.start();
  })()`);
  await page.waitForFunction(`window.__recorded.state === 'live'`, undefined, { timeout: 10000 });
}

interface Refusal {
  isHubError: boolean;
  status: number;
  message: string;
}

const recorded = (page: Page) => page.evaluate<Recorded>(`window.__recorded`);

async function publish(service: Instance, user: string, type: string, title: string) {
  const response = await fetch(`${service.url}/notifications`, {
    method: 'POST',
    headers: {
      ...bearer(token('billing', { roles: ['service'] })),
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ recipients: [user], type, title, body: '', data: { invoice: 7 } }),
  });
  expect(response.status).toBe(201);
}

describeWithChromium('The client package in a browser', () => {
  const suite = serviceAndChromium();

  for (const transport of ['polyfill', 'native']) {
    it(`delivers a type invented by another service, with no configuration (${transport})`, async () => {
      const user = `ivy-${transport}`;
      const type = `invoice.paid-${transport}`;
      const { page, errors } = await watchedPage(await suite.browser.newContext());
      // Any document of the service's origin will do: the client is all the page runs
      // (its favicon, which that document lacks, would log a 404).
      await page.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
      await page.goto(`${suite.service.url}/demo/settings`);
      await startClient(page, user, transport);

      await publish(suite.service, user, type, 'Invoice 7 paid');
      await page.waitForFunction(
        (wanted) =>
          (window as unknown as { __recorded: Recorded }).__recorded.notifications.some(
            (n) => n.type === wanted,
          ),
        type,
        { timeout: 10000 },
      );
      const seen = await recorded(page);
      expect(seen.notifications.map((n) => [n.type, n.title])).toEqual([[type, 'Invoice 7 paid']]);
      expect(seen.types.at(-1)).toContain(type);

      // The REST helpers, with the same getToken: the inbox lists it, filtered by type.
      const listed = await page.evaluate<{
        items: { id: string; read: boolean }[];
        nextBefore: string | null;
      }>(`window.__client.inbox.list({ types: [${JSON.stringify(type)}], limit: 10 })`);
      expect(listed.items.map((item) => [item.id, item.read])).toEqual([
        [seen.notifications[0].id, false],
      ]);
      expect(listed.nextBefore).toBeNull();

      // Muting the type: the preferences event reaches the client, and the type stays silent.
      await page.evaluate(`window.__client.preferences.set({ ${JSON.stringify(type)}: false })`);
      await page.waitForFunction(
        (muted) =>
          (window as unknown as { __recorded: Recorded }).__recorded.preferences.some(
            (p) => p.types[muted] === false,
          ),
        type,
        { timeout: 10000 },
      );

      expect(errors).toEqual([]);

      // A refusal is a NotificationHubError carrying the status and the service's message.
      const refused =
        await page.evaluate<Refusal | null>(`window.__client.inbox.read('no-such-id').then(
        () => null,
        (e) => ({ isHubError: e instanceof window.__hub.NotificationHubError, status: e.status, message: e.message }),
      )`);
      expect(refused).toEqual({
        isHubError: true,
        status: 404,
        message: 'Notification no-such-id not found',
      });
    }, 40000);
  }
});
