import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { InboxItem } from '../../src/storage/notification-store.js';
import { publish, unreadCount as unreadCountOf } from '../support/api.js';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { closeAllClients, openStreams, type StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

interface Page {
  items: InboxItem[];
  nextBefore: string | null;
}

/** The unread counts a client's stream announced, in order. */
const counts = (client: StreamClient) =>
  client.payloads<{ count: number }>('unread-count').map((payload) => payload.count);

/**
 * Mark unread, archive and unarchive (CONTRACT.md, "The inbox"), the archived listing and
 * the type filter, with every open stream of the user told the new unread count.
 */
describe('Inbox actions', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startApp({ HEARTBEAT_MS: '5000' });
  });
  afterEach(async () => {
    closeAllClients();
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
    await t.close();
  });

  const act = (user: string, id: string, action: 'read' | 'unread' | 'archive' | 'unarchive') =>
    request(t.url)
      .post(`/notifications/${encodeURIComponent(id)}/${action}`)
      .set(bearer(token(user)));
  const list = async (user: string, query = '') =>
    (
      await request(t.url)
        .get(`/notifications${query}`)
        .set(bearer(token(user)))
        .expect(200)
    ).body as Page;
  const unreadCount = (user: string) => unreadCountOf(t, user);
  const ids = (page: Page) => page.items.map((item) => item.id);
  /** Waits until every client's last announced count is `count`. */
  const allShow = (clients: StreamClient[], count: number) =>
    eventually(
      () => clients.every((client) => counts(client).at(-1) === count),
      `every stream to show ${count}`,
    );

  it('archive and unarchive move the count on every open stream of the user, and the listing', async () => {
    const tabs = await openStreams(t.url, token('alice'), token('alice'));
    const [first] = await publish(t, ['alice'], 'first');
    const [second] = await publish(t, ['alice'], 'second');
    await allShow(tabs, 2);

    await act('alice', first.id, 'archive').expect(204);
    await allShow(tabs, 1);
    expect(ids(await list('alice'))).toEqual([second.id]);
    const archived = await list('alice', '?archived=true');
    expect(archived.items.map(({ id, read }) => ({ id, read }))).toEqual([
      { id: first.id, read: true },
    ]);
    expect(archived.nextBefore).toBeNull();
    expect(await unreadCount('alice')).toBe(1);

    // Unarchived, it is listed again, still read.
    await act('alice', first.id, 'unarchive').expect(204);
    expect((await list('alice')).items.map(({ id, read }) => ({ id, read }))).toEqual([
      { id: second.id, read: false },
      { id: first.id, read: true },
    ]);
    expect(ids(await list('alice', '?archived=true'))).toEqual([]);

    // Marked unread, it counts again on every tab; archived again, it stops counting.
    await act('alice', first.id, 'unread').expect(204);
    await allShow(tabs, 2);
    expect(await unreadCount('alice')).toBe(2);
    await act('alice', first.id, 'archive').expect(204);
    await allShow(tabs, 1);
    // Marked unread while archived: still not counted, and read false in the archive.
    await act('alice', first.id, 'unread').expect(204);
    expect(await unreadCount('alice')).toBe(1);
    expect((await list('alice', '?archived=true&unread=true')).items.map((i) => i.id)).toEqual([
      first.id,
    ]);
  });

  it('marks one unread again: the count moves on every open stream', async () => {
    const tabs = await openStreams(t.url, token('bob'), token('bob'));
    const [only] = await publish(t, ['bob'], 'only');
    await allShow(tabs, 1);
    await act('bob', only.id, 'read').expect(204);
    await allShow(tabs, 0);
    await act('bob', only.id, 'unread').expect(204);
    await allShow(tabs, 1);
    expect((await list('bob')).items.map(({ read }) => read)).toEqual([false]);
    expect(counts(tabs[0])).toEqual([0, 1, 0, 1]);
  });

  it('archives a broadcast for the caller only', async () => {
    const [broadcast] = await publish(t, '*', 'for everyone');
    await act('carol', broadcast.id, 'archive').expect(204);
    expect(ids(await list('carol'))).toEqual([]);
    expect(ids(await list('carol', '?archived=true'))).toEqual([broadcast.id]);
    expect(ids(await list('dave'))).toEqual([broadcast.id]);
    expect(await unreadCount('dave')).toBe(1);
  });

  it('404s another user’s, an unknown or a malformed id, naming it, and changes nothing', async () => {
    const [forErin] = await publish(t, ['erin'], 'for erin');
    for (const action of ['unread', 'archive', 'unarchive'] as const) {
      for (const id of [forErin.id, '999999', 'not-a-cursor']) {
        const response = await act('frank', id, action).expect(404);
        expect((response.body as { message: string }).message).toBe(`Notification ${id} not found`);
      }
    }
    expect(await list('erin')).toEqual({
      items: [{ ...forErin, read: false }],
      nextBefore: null,
    });
    expect(await unreadCount('erin')).toBe(1);
  });

  it('filters by type, combined with unread, archived and paging', async () => {
    const [a1] = await publish(t, ['gina'], 'a1', { type: 'invoice.paid' });
    const [b1] = await publish(t, ['gina'], 'b1', { type: 'invoice.sent' });
    const [c1] = await publish(t, ['gina'], 'c1');
    const [a2] = await publish(t, ['gina'], 'a2', { type: 'invoice.paid' });
    await act('gina', a2.id, 'read').expect(204);
    await act('gina', b1.id, 'archive').expect(204);

    expect(ids(await list('gina', '?type=invoice.paid'))).toEqual([a2.id, a1.id]);
    expect(ids(await list('gina', '?type=invoice.paid,test.ping'))).toEqual([a2.id, c1.id, a1.id]);
    expect(ids(await list('gina', '?type=invoice.paid&unread=true'))).toEqual([a1.id]);
    expect(ids(await list('gina', '?type=invoice.sent'))).toEqual([]);
    expect(ids(await list('gina', '?type=invoice.sent,invoice.paid&archived=true'))).toEqual([
      b1.id,
    ]);
    const page = await list('gina', '?type=invoice.paid,test.ping&limit=2');
    expect(ids(page)).toEqual([a2.id, c1.id]);
    expect(
      ids(await list('gina', `?type=invoice.paid,test.ping&before=${page.nextBefore}`)),
    ).toEqual([a1.id]);
  });

  it('400s a bad type filter or archived value, naming it', async () => {
    const bad = async (query: string, pattern: RegExp) => {
      const response = await request(t.url)
        .get(`/notifications${query}`)
        .set(bearer(token('hank')))
        .expect(400);
      expect(JSON.stringify((response.body as { message: unknown }).message)).toMatch(pattern);
    };
    await bad('?type=bad%20name', /type must be a comma-separated list/);
    await bad('?type=a,,b', /type must be a comma-separated list/);
    await bad('?type=', /type must be a comma-separated list/);
    await bad(`?type=${Array.from({ length: 51 }, (_, i) => `t${i}`).join(',')}`, /at most 50/);
    await bad('?archived=maybe', /archived must be true or false/);
  });
});
