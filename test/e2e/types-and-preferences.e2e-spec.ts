import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import request from 'supertest';
import type { InboxItem } from '../../src/storage/notification-store.js';
import { publish, unreadCount as unreadCountOf } from '../support/api.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

interface Preferences {
  types: Record<string, boolean>;
}

const BUILT_IN = [
  'announcement',
  'message.created',
  'workflow.approved',
  'workflow.cancelled',
  'workflow.rejected',
  'workflow.started',
];

/** The control events a test listens to besides the notifications it names. */
const CONTROLS = ['types', 'preferences', 'unread-count'];

/**
 * Notification types and preferences (CONTRACT.md, "The notification stream": Types;
 * "The inbox": preferences): the stream's `types` and `preferences` events, the routes,
 * and muted types left out of every way a user sees notifications.
 */
describe('Notification types and preferences', () => {
  let t: TestApp;
  const raws: RawStream[] = [];
  const sources: EventSource[] = [];

  beforeEach(async () => {
    t = await startApp({ HEARTBEAT_MS: '5000' });
  });
  afterEach(async () => {
    closeAllClients();
    sources.splice(0).forEach((source) => source.close());
    raws.splice(0).forEach((raw) => raw.close());
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
    await t.close();
  });

  const raw = (user: string, headers: Record<string, string> = {}) => {
    const stream = new RawStream(`${t.url}/notifications/stream`, {
      ...bearer(token(user)),
      ...headers,
    });
    raws.push(stream);
    return stream;
  };
  const client = (user: string, options: { lastEventId?: string; types?: string[] } = {}) =>
    new StreamClient(t.url, token(user), {
      ...options,
      types: [...CONTROLS, ...(options.types ?? [])],
    }).ready();
  const putPreferences = (user: string, body: unknown) =>
    request(t.url)
      .put('/notifications/preferences')
      .set(bearer(token(user)))
      .send(body as object);
  const getPreferences = async (user: string) =>
    (
      await request(t.url)
        .get('/notifications/preferences')
        .set(bearer(token(user)))
        .expect(200)
    ).body as Preferences;
  const list = async (user: string, query = '') =>
    (
      (
        await request(t.url)
          .get(`/notifications${query}`)
          .set(bearer(token(user)))
          .expect(200)
      ).body as { items: InboxItem[] }
    ).items;
  const unreadCount = (user: string) => unreadCountOf(t, user);
  const counts = (c: StreamClient) =>
    c.payloads<{ count: number }>('unread-count').map((payload) => payload.count);

  describe('types', () => {
    it('reaches a plain EventSource, connected before the type existed, that listens only to what `types` announced', async () => {
      const heard: { type: string; data: string }[] = [];
      const listening = new Set<string>();
      const url = new URL('/notifications/stream', t.url);
      url.searchParams.set('access_token', token('bob'));
      const source = new EventSource(url);
      sources.push(source);
      // What a client does: a listener for every type announced, and nothing else.
      source.addEventListener('types', (event: MessageEvent<string>) => {
        for (const type of (JSON.parse(event.data) as { types: string[] }).types) {
          if (listening.has(type)) continue;
          listening.add(type);
          source.addEventListener(type, (e: MessageEvent<string>) =>
            heard.push({ type: e.type, data: e.data }),
          );
        }
      });
      await eventually(() => listening.size > 0, 'the first types event');
      expect([...listening]).toEqual(BUILT_IN);

      const [paid] = await publish(t, ['bob'], 'Invoice paid', { type: 'invoice.paid' });
      await eventually(() => heard.length === 1, 'the invoice.paid notification');
      expect(heard[0]).toEqual({ type: 'invoice.paid', data: JSON.stringify(paid) });
      expect(listening.has('invoice.paid')).toBe(true);
    });

    it('sends `types` at the start (after reset, before unread-count) and the whole list before a new type, without id', async () => {
      const fresh = raw('carol');
      const resumed = raw('carol', { 'Last-Event-ID': 'not-a-cursor' });
      await fresh.waitForBody('event: unread-count');
      await resumed.waitForBody('event: unread-count');
      const builtIn = `event: types\ndata: ${JSON.stringify({ types: BUILT_IN })}`;
      const heads = (stream: RawStream) =>
        stream.blocks.filter((block) => !block.startsWith(':')).map((b) => b.split('\n')[0]);
      expect(heads(fresh)).toEqual(['retry: 3000', 'event: types', 'event: unread-count']);
      expect(heads(resumed)).toEqual([
        'retry: 3000',
        'event: reset',
        'event: types',
        'event: unread-count',
      ]);
      expect(fresh.blocks).toContain(builtIn);

      const [sent] = await publish(t, ['carol'], 'sent', { type: 'invoice.sent' });
      const [again] = await publish(t, ['carol'], 'again', { type: 'invoice.sent' });
      await fresh.waitForBody(`id: ${again.id}`);
      const after = fresh.blocks.filter(
        (block) => !block.startsWith(':') && !block.startsWith('event: unread-count'),
      );
      const withSent = [...BUILT_IN, 'invoice.sent'].sort();
      expect(after.slice(2)).toEqual([
        `event: types\ndata: ${JSON.stringify({ types: withSent })}`,
        `id: ${sent.id}\nevent: invoice.sent\ndata: ${JSON.stringify(sent)}`,
        `id: ${again.id}\nevent: invoice.sent\ndata: ${JSON.stringify(again)}`,
      ]);

      // A stream opened later has it in its first list; so has GET /notifications/types.
      const later = raw('dave');
      await later.waitForBody('event: types');
      expect(later.blocks).toContain(`event: types\ndata: ${JSON.stringify({ types: withSent })}`);
      const listed = await request(t.url)
        .get('/notifications/types')
        .set(bearer(token('dave')))
        .expect(200);
      expect(listed.body).toEqual({ types: withSent });
    });

    it('announces the types of what a resumed stream replays before replaying it', async () => {
      const [seen] = await publish(t, ['erin'], 'seen');
      const [missed] = await publish(t, ['erin'], 'missed', { type: 'order.shipped' });
      const resumed = raw('erin', { 'Last-Event-ID': seen.id });
      await resumed.waitForBody(`id: ${missed.id}`);
      const blocks = resumed.blocks.filter((b) => !b.startsWith(':'));
      const replayed = blocks.findIndex((b) => b.startsWith(`id: ${missed.id}`));
      const lastTypes = blocks.slice(0, replayed).findLast((b) => b.startsWith('event: types'));
      expect(lastTypes).toContain('order.shipped');
    });
  });

  describe('preferences', () => {
    it('lists every known type on, plus muted types not published yet; PUT merges and answers the whole object', async () => {
      const everyOn = Object.fromEntries(BUILT_IN.map((type) => [type, true]));
      expect(await getPreferences('frank')).toEqual({ types: everyOn });
      const first = await putPreferences('frank', { types: { 'invoice.paid': false } }).expect(200);
      expect(first.body).toEqual({ types: { ...everyOn, 'invoice.paid': false } });
      const second = await putPreferences('frank', {
        types: { 'message.created': false, announcement: true },
      }).expect(200);
      const expected = { ...everyOn, 'invoice.paid': false, 'message.created': false };
      expect(second.body).toEqual({ types: expected });
      expect(await getPreferences('frank')).toEqual({ types: expected });
      // Other users are untouched.
      expect(await getPreferences('gina')).toEqual({ types: everyOn });
    });

    it('a muted type is neither delivered, replayed, listed nor counted; unmuted, it is listed again', async () => {
      await putPreferences('hank', { types: { 'invoice.paid': false } }).expect(200);
      const tabs = [
        await client('hank', { types: ['invoice.paid'] }),
        await client('hank', { types: ['invoice.paid'] }),
      ];
      const [before] = await publish(t, ['hank'], 'before');
      await eventually(() => tabs.every((tab) => tab.events.length === 1), 'before');
      const [direct] = await publish(t, ['hank'], 'muted direct', { type: 'invoice.paid' });
      const [broadcast] = await publish(t, '*', 'muted broadcast', { type: 'invoice.paid' });
      const [kept] = await publish(t, ['hank'], 'kept');
      await eventually(() => tabs.every((tab) => tab.events.length === 2), 'kept');
      await sleep(100);
      for (const tab of tabs) {
        expect(tab.cursors).toEqual([before.id, kept.id]);
        expect(counts(tab).at(-1)).toBe(2);
        // The count never moved for the muted ones.
        expect(counts(tab)).toEqual([0, 1, 2]);
      }

      // Replay.
      const resumed = await client('hank', { lastEventId: before.id, types: ['invoice.paid'] });
      await resumed.waitForEvents(1);
      await sleep(100);
      expect(resumed.cursors).toEqual([kept.id]);
      expect(counts(resumed)).toEqual([2]);

      // Listing and counting.
      expect((await list('hank')).map((item) => item.id)).toEqual([kept.id, before.id]);
      expect(await list('hank', '?type=invoice.paid')).toEqual([]);
      expect(await unreadCount('hank')).toBe(2);

      // Turned on again: listed and counted again, every stream told both.
      const streams = [...tabs, resumed];
      await putPreferences('hank', { types: { 'invoice.paid': true } }).expect(200);
      expect((await list('hank')).map((item) => item.id)).toEqual([
        kept.id,
        broadcast.id,
        direct.id,
        before.id,
      ]);
      expect(await unreadCount('hank')).toBe(4);
      await eventually(
        () => streams.every((s) => counts(s).at(-1) === 4),
        'unread-count 4 on every stream',
      );
      for (const stream of streams) {
        const preferences = stream.payloads<Preferences>('preferences');
        expect(preferences.at(-1)?.types['invoice.paid']).toBe(true);
        // Nothing is pushed after the fact.
        expect(stream.events.map((e) => e.type)).not.toContain('invoice.paid');
        const types = stream.controls.map((c) => c.type);
        expect(types.lastIndexOf('preferences')).toBeLessThan(types.lastIndexOf('unread-count'));
      }

      // From now on it is delivered.
      const [live] = await publish(t, ['hank'], 'now on', { type: 'invoice.paid' });
      await eventually(() => tabs.every((tab) => tab.cursors.includes(live.id)), 'now on');
    });

    it('a change sends `preferences` (the whole object) then `unread-count` to every stream of the user, only theirs', async () => {
      await publish(t, ['ivan'], 'one', { type: 'invoice.paid' });
      await publish(t, ['ivan'], 'two');
      const [a, b] = [await client('ivan'), await client('ivan')];
      const other = await client('judy');
      await eventually(() => [a, b].every((s) => counts(s).at(-1) === 2), 'the first counts');

      const answer = await putPreferences('ivan', { types: { 'invoice.paid': false } }).expect(200);
      for (const stream of [a, b]) {
        await eventually(
          () => stream.payloads('preferences').length === 1 && counts(stream).at(-1) === 1,
          'preferences and unread-count',
        );
        expect(stream.payloads('preferences')).toEqual([answer.body]);
        expect(stream.controls.map((c) => c.type)).toEqual([
          'types',
          'unread-count',
          'preferences',
          'unread-count',
        ]);
      }
      await sleep(100);
      expect(other.payloads('preferences')).toEqual([]);
    });

    it('400s bad input, naming it, and changes nothing', async () => {
      await putPreferences('kim', { types: { 'invoice.paid': false } }).expect(200);
      const before = await getPreferences('kim');
      const stream = await client('kim');
      const bad = async (body: unknown, pattern: RegExp) => {
        const response = await putPreferences('kim', body).expect(400);
        const { message } = response.body as { message: string | string[] };
        expect(([] as string[]).concat(message).join(' | ')).toMatch(pattern);
      };
      await bad(
        { types: { 'message.created': false }, extra: 1 },
        /property extra should not exist/,
      );
      await bad({ types: { 'bad type': false } }, /"bad type" is not a notification type/);
      await bad({ types: { reset: false } }, /"reset" is not a notification type/);
      await bad({ types: { 'message.created': 'no' } }, /"message.created" must be true or false/);
      await bad({ types: { 'message.created': null } }, /must be true or false/);
      await bad({ types: { announcement: false } }, /"announcement" cannot be turned off/);
      // One bad entry among good ones changes none of them.
      await bad(
        { types: { 'message.created': false, announcement: false } },
        /cannot be turned off/,
      );
      await bad({ types: ['message.created'] }, /types must be an object/);
      await bad({}, /types must be an object/);
      await bad({ types: 'message.created' }, /types must be an object/);
      expect(await getPreferences('kim')).toEqual(before);
      await sleep(100);
      expect(stream.payloads('preferences')).toEqual([]);
    });

    it('refuses a cookie-authenticated PUT from another site (403), changing nothing', async () => {
      const put = () =>
        request(t.url)
          .put('/notifications/preferences')
          .set('Cookie', `access_token=${token('lena')}`)
          .send({ types: { 'message.created': false } });
      await put().expect(403);
      await put().set('Origin', 'https://evil.example').expect(403);
      expect((await getPreferences('lena')).types['message.created']).toBe(true);
      await put().set('Origin', t.url).expect(200);
      expect((await getPreferences('lena')).types['message.created']).toBe(false);
    });
  });
});
