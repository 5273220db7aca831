import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { InboxItem } from '../../src/storage/notification-store.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, openStreams, type StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const service = token('svc', { roles: ['service'] });

/** A notification as the inbox lists it. */
type Item = InboxItem;

interface Page {
  items: Item[];
  nextBefore: string | null;
}

interface ErrorBody {
  statusCode: number;
  message: string | string[];
}

/** The unread counts a client's stream announced, in order. */
const counts = (client: StreamClient) =>
  client.payloads<{ count: number }>('unread-count').map((payload) => payload.count);

/** The counts with consecutive repeats left out: what a badge showed over time. */
const changes = (values: number[]) =>
  values.filter((value, i) => i === 0 || value !== values[i - 1]);

const lastCount = (client: StreamClient) => counts(client).at(-1);

describe('The inbox', () => {
  // A fresh app (and store) per test: broadcasts reach every user, so they would
  // otherwise leak into the inboxes of later tests.
  let t: TestApp;
  const raws: RawStream[] = [];

  beforeEach(async () => {
    t = await startApp({ HEARTBEAT_MS: '5000' });
  });
  afterEach(async () => {
    closeAllClients();
    raws.splice(0).forEach((raw) => raw.close());
    // Every test ends with every stream gone from the server: nothing leaks between tests.
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
    await t.close();
  });

  const open = (...tokens: string[]) => openStreams(t.url, ...tokens);
  const raw = (jwtToken: string) => {
    const stream = new RawStream(`${t.url}/notifications/stream`, bearer(jwtToken));
    raws.push(stream);
    return stream;
  };

  /** Publishes one test.ping per recipient (or a broadcast) and returns what was stored. */
  const notify = async (recipients: string[] | '*', title: string, by = service) => {
    const response = await request(t.url)
      .post('/notifications')
      .set(bearer(by))
      .send({ recipients, type: 'test.ping', title })
      .expect(201);
    return (response.body as { items: Item[] }).items;
  };
  /** Publishes `n` notifications to `user`, oldest first, titled `${prefix}1`..`${prefix}n`. */
  const notifyMany = async (user: string, n: number, prefix = 'n') => {
    const stored: Item[] = [];
    for (let i = 1; i <= n; i++) stored.push(...(await notify([user], `${prefix}${i}`)));
    return stored;
  };
  const list = async (user: string, query = '') => {
    const response = await request(t.url)
      .get(`/notifications${query}`)
      .set(bearer(token(user)))
      .expect(200);
    return response.body as Page;
  };
  const unreadCount = async (user: string) => {
    const response = await request(t.url)
      .get('/notifications/unread-count')
      .set(bearer(token(user)))
      .expect(200);
    return response.body as { count: number };
  };
  const markRead = (user: string, id: string) =>
    request(t.url)
      .post(`/notifications/${encodeURIComponent(id)}/read`)
      .set(bearer(token(user)));
  const readAll = (user: string) =>
    request(t.url)
      .post('/notifications/read-all')
      .set(bearer(token(user)));
  const badRequest = async (user: string, query: string) => {
    const response = await request(t.url)
      .get(`/notifications${query}`)
      .set(bearer(token(user)))
      .expect(400);
    const body = response.body as ErrorBody;
    expect(body.statusCode).toBe(400);
    return JSON.stringify(body.message);
  };

  describe('GET /notifications', () => {
    it('lists the caller’s notifications newest first, each unread at first, exactly as published', async () => {
      const stored = await notifyMany('alice', 3);
      const page = await list('alice');
      expect(page).toEqual({
        items: [...stored].reverse().map((notification) => ({ ...notification, read: false })),
        nextBefore: null,
      });
      expect(page.items.map((item) => item.title)).toEqual(['n3', 'n2', 'n1']);
    });

    it('is empty for a user without notifications', async () => {
      expect(await list('nobody')).toEqual({ items: [], nextBefore: null });
    });

    it('includes broadcasts, never another user’s targeted notifications', async () => {
      await notify(['alice'], 'for alice');
      await notify(['bob'], 'for bob');
      await notify('*', 'for everyone');
      await notify(['bob', 'carol'], 'for bob and carol');
      expect((await list('alice')).items.map((item) => item.title)).toEqual([
        'for everyone',
        'for alice',
      ]);
      expect((await list('bob')).items.map((item) => item.title)).toEqual([
        'for bob and carol',
        'for everyone',
        'for bob',
      ]);
      const broadcast = (await list('alice')).items[0];
      expect(broadcast).toMatchObject({ recipient: '*', actorId: 'svc', read: false });
    });

    it('never lists the user’s own notifications, broadcast or self-addressed', async () => {
      const publisher = token('herald', { roles: ['service'] });
      await notify('*', 'own broadcast', publisher);
      await notify(['herald', 'someone'], 'to self and someone', publisher);
      await notify(['herald'], 'for herald');
      expect((await list('herald')).items.map((item) => item.title)).toEqual(['for herald']);
      expect(await unreadCount('herald')).toEqual({ count: 1 });
      expect((await list('someone')).items.map((item) => item.title)).toEqual([
        'to self and someone',
        'own broadcast',
      ]);
    });

    it('lists only unread notifications with unread=true, all with unread=false', async () => {
      const [n1, n2, n3] = await notifyMany('alice', 3);
      await markRead('alice', n2.id).expect(204);
      const unread = await list('alice', '?unread=true');
      expect(unread.items.map((item) => item.id)).toEqual([n3.id, n1.id]);
      expect(unread.items.every((item) => !item.read)).toBe(true);
      expect(unread.nextBefore).toBeNull();
      const all = await list('alice', '?unread=false');
      expect(all.items.map((item) => [item.id, item.read])).toEqual([
        [n3.id, false],
        [n2.id, true],
        [n1.id, false],
      ]);
    });

    it('pages with limit and before=nextBefore through every item exactly once', async () => {
      const stored = await notifyMany('pager', 7);
      const seen: string[] = [];
      const sizes: number[] = [];
      let before: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const query: string = `?limit=3${before === null ? '' : `&before=${encodeURIComponent(before)}`}`;
        const page = await list('pager', query);
        sizes.push(page.items.length);
        seen.push(...page.items.map((item) => item.title));
        before = page.nextBefore;
        if (before === null) break;
      }
      expect(sizes).toEqual([3, 3, 1]);
      expect(before).toBeNull();
      expect(seen).toEqual(['n7', 'n6', 'n5', 'n4', 'n3', 'n2', 'n1']);
      expect(new Set(seen).size).toBe(stored.length);
    });

    it('ends with nextBefore null when the last page is exactly full', async () => {
      await notifyMany('even', 6);
      const first = await list('even', '?limit=3');
      expect(first.items.map((item) => item.title)).toEqual(['n6', 'n5', 'n4']);
      expect(first.nextBefore).not.toBeNull();
      const second = await list('even', `?limit=3&before=${encodeURIComponent(first.nextBefore!)}`);
      expect(second.items.map((item) => item.title)).toEqual(['n3', 'n2', 'n1']);
      expect(second.nextBefore).toBeNull();
    });

    it('pages through unread notifications only with unread=true', async () => {
      const stored = await notifyMany('skimmer', 5);
      await markRead('skimmer', stored[3].id).expect(204); // n4
      const first = await list('skimmer', '?unread=true&limit=2');
      expect(first.items.map((item) => item.title)).toEqual(['n5', 'n3']);
      expect(first.nextBefore).not.toBeNull();
      const second = await list(
        'skimmer',
        `?unread=true&limit=2&before=${encodeURIComponent(first.nextBefore!)}`,
      );
      expect(second.items.map((item) => item.title)).toEqual(['n2', 'n1']);
      expect(second.nextBefore).toBeNull();
    });

    it('returns 50 items by default, and accepts limit 1 and 100', async () => {
      await notifyMany('hoarder', 55);
      const first = await list('hoarder');
      expect(first.items).toHaveLength(50);
      expect(first.items[0].title).toBe('n55');
      expect(first.items[49].title).toBe('n6');
      expect(first.nextBefore).not.toBeNull();
      const rest = await list('hoarder', `?before=${encodeURIComponent(first.nextBefore!)}`);
      expect(rest.items.map((item) => item.title)).toEqual(['n5', 'n4', 'n3', 'n2', 'n1']);
      expect(rest.nextBefore).toBeNull();
      const one = await list('hoarder', '?limit=1');
      expect(one.items.map((item) => item.title)).toEqual(['n55']);
      expect(one.nextBefore).not.toBeNull();
      const hundred = await list('hoarder', '?limit=100');
      expect(hundred.items).toHaveLength(55);
      expect(hundred.nextBefore).toBeNull();
    });

    it.each(['0', '101', 'abc', '1.5', '-1', ''])(
      'answers 400 naming limit for limit=%p',
      async (limit) => {
        await notify(['alice'], 'n1');
        expect(await badRequest('alice', `?limit=${limit}`)).toMatch(/limit/);
      },
    );

    it.each(['abc', '0', '-5', '1.5'])(
      'answers 400 naming before for before=%p',
      async (before) => {
        await notify(['alice'], 'n1');
        expect(await badRequest('alice', `?before=${before}`)).toMatch(/before/);
      },
    );

    it('answers 400 naming unread for unread=maybe', async () => {
      expect(await badRequest('alice', '?unread=maybe')).toMatch(/unread/);
    });

    it('answers 400 naming an unknown query parameter', async () => {
      expect(await badRequest('alice', '?colour=blue')).toMatch(/colour/);
      expect(await badRequest('alice', '?limit=5&offset=10')).toMatch(/offset/);
    });

    it('accepts the token from the access_token query parameter, as every route does', async () => {
      await notify(['alice'], 'n1');
      const viaQuery = await request(t.url)
        .get('/notifications')
        .query({ access_token: token('alice'), limit: '10' });
      expect({ status: viaQuery.status, body: viaQuery.body as unknown }).toEqual({
        status: 200,
        body: { items: [expect.objectContaining({ title: 'n1' })], nextBefore: null },
      });
    });

    it('accepts the token from the access_token cookie', async () => {
      await notify(['alice'], 'n1');
      const viaCookie = await request(t.url)
        .get('/notifications?limit=10')
        .set('Cookie', `access_token=${token('alice')}`)
        .expect(200);
      expect((viaCookie.body as Page).items.map((item) => item.title)).toEqual(['n1']);
    });
  });

  describe('GET /notifications/unread-count', () => {
    it('counts unread notifications as they arrive and are read', async () => {
      expect(await unreadCount('counter')).toEqual({ count: 0 });
      const [n1] = await notifyMany('counter', 2);
      expect(await unreadCount('counter')).toEqual({ count: 2 });
      await notify('*', 'broadcast');
      expect(await unreadCount('counter')).toEqual({ count: 3 });
      await notify(['someone-else'], 'not counted');
      expect(await unreadCount('counter')).toEqual({ count: 3 });
      await markRead('counter', n1.id).expect(204);
      expect(await unreadCount('counter')).toEqual({ count: 2 });
      await readAll('counter').expect(204);
      expect(await unreadCount('counter')).toEqual({ count: 0 });
    });
  });

  describe('POST /notifications/:id/read', () => {
    it('answers 204, flags that item read and lowers the count', async () => {
      const [n1, n2, n3] = await notifyMany('alice', 3);
      const response = await markRead('alice', n2.id).expect(204);
      expect(response.text).toBe('');
      expect((await list('alice')).items.map((item) => [item.id, item.read])).toEqual([
        [n3.id, false],
        [n2.id, true],
        [n1.id, false],
      ]);
      expect(await unreadCount('alice')).toEqual({ count: 2 });
    });

    it('marks a broadcast read for that user only', async () => {
      const [broadcast] = await notify('*', 'for everyone');
      await markRead('alice', broadcast.id).expect(204);
      expect((await list('alice')).items).toEqual([{ ...broadcast, read: true }]);
      expect(await unreadCount('alice')).toEqual({ count: 0 });
      expect((await list('bob')).items).toEqual([{ ...broadcast, read: false }]);
      expect(await unreadCount('bob')).toEqual({ count: 1 });
    });

    it('answers 404 naming the id for another user’s notification, and changes nothing', async () => {
      const [forBob] = await notify(['bob'], 'for bob');
      await notify(['alice'], 'for alice');
      const response = await markRead('alice', forBob.id).expect(404);
      const body = response.body as ErrorBody;
      expect(body.statusCode).toBe(404);
      expect(JSON.stringify(body.message)).toContain(forBob.id);
      expect((await list('bob')).items).toEqual([{ ...forBob, read: false }]);
      expect(await unreadCount('bob')).toEqual({ count: 1 });
      expect(await unreadCount('alice')).toEqual({ count: 1 });
    });

    it('answers 404 for the user’s own broadcast, which is not in their inbox', async () => {
      const publisher = token('herald', { roles: ['service'] });
      const [own] = await notify('*', 'own broadcast', publisher);
      await markRead('herald', own.id).expect(404);
      expect(await unreadCount('someone')).toEqual({ count: 1 });
    });

    it.each(['999999', '0', 'abc', '-1', '1.5', '1e3', '01', 'x'.repeat(300)])(
      'answers 404 for the unknown or garbage id %p',
      async (id) => {
        await notify(['alice'], 'n1');
        const response = await markRead('alice', id).expect(404);
        expect((response.body as ErrorBody).statusCode).toBe(404);
        expect(await unreadCount('alice')).toEqual({ count: 1 });
      },
    );

    it('accepts marking the same notification twice', async () => {
      const [n1] = await notifyMany('alice', 2);
      await markRead('alice', n1.id).expect(204);
      await markRead('alice', n1.id).expect(204);
      expect(await unreadCount('alice')).toEqual({ count: 1 });
      expect((await list('alice')).items.map((item) => item.read)).toEqual([false, true]);
    });
  });

  describe('POST /notifications/read-all', () => {
    it('answers 204 and reads everything; a later notification is unread', async () => {
      await notifyMany('alice', 3);
      await notify('*', 'broadcast');
      const response = await readAll('alice').expect(204);
      expect(response.text).toBe('');
      expect(await unreadCount('alice')).toEqual({ count: 0 });
      const all = await list('alice');
      expect(all.items).toHaveLength(4);
      expect(all.items.every((item) => item.read)).toBe(true);
      expect(await list('alice', '?unread=true')).toEqual({ items: [], nextBefore: null });

      const [later] = await notify(['alice'], 'later');
      expect(await unreadCount('alice')).toEqual({ count: 1 });
      const after = await list('alice');
      expect(after.items.map((item) => [item.title, item.read])).toEqual([
        ['later', false],
        ['broadcast', true],
        ['n3', true],
        ['n2', true],
        ['n1', true],
      ]);
      expect((await list('alice', '?unread=true')).items.map((item) => item.id)).toEqual([
        later.id,
      ]);
    });

    it('leaves other users’ read state alone, whether unread or read', async () => {
      const [first] = await notify('*', 'b1');
      await notify('*', 'b2');
      await notify(['bob'], 'for bob');
      await markRead('bob', first.id).expect(204);
      await readAll('alice').expect(204);
      expect(await unreadCount('bob')).toEqual({ count: 2 });
      expect((await list('bob')).items.map((item) => [item.title, item.read])).toEqual([
        ['for bob', false],
        ['b2', false],
        ['b1', true],
      ]);
    });

    it('answers 204 with nothing to read', async () => {
      await readAll('empty').expect(204);
      expect(await unreadCount('empty')).toEqual({ count: 0 });
    });
  });

  describe('unread-count events', () => {
    it('sends the current count when a stream opens', async () => {
      await notifyMany('opener', 2);
      await notify('*', 'broadcast');
      const [client] = await open(token('opener'));
      await eventually(() => counts(client).length >= 1, 'the first unread-count');
      expect(client.controls[0].type).toBe('unread-count');
      expect(JSON.parse(client.controls[0].data)).toEqual({ count: 3 });
      const [fresh] = await open(token('fresh'));
      await eventually(() => counts(fresh).length >= 1, 'the first unread-count');
      expect(counts(fresh)).toEqual([1]);
    });

    it('moves every tab’s badge together as notifications arrive and are read, and no one else’s', async () => {
      const [tab1, tab2, bob] = await open(token('alice'), token('alice'), token('bob'));
      const tabs = [tab1, tab2];
      await eventually(
        () => [tab1, tab2, bob].every((client) => counts(client).length >= 1),
        'the opening counts',
      );
      const until = (count: number, what: string) =>
        eventually(() => tabs.every((tab) => lastCount(tab) === count), what);

      const [first] = await notify(['alice'], 'n1');
      await until(1, 'both tabs to count 1 after a notification');
      await notify(['alice'], 'n2');
      await until(2, 'both tabs to count 2');
      await markRead('alice', first.id).expect(204);
      await until(1, 'both tabs to count 1 after marking one read');
      await notify(['alice'], 'n3');
      await until(2, 'both tabs to count 2 again');
      await readAll('alice').expect(204);
      await until(0, 'both tabs to count 0 after read-all');
      await sleep(150);

      for (const tab of tabs) expect(changes(counts(tab))).toEqual([0, 1, 2, 1, 2, 0]);
      expect(await unreadCount('alice')).toEqual({ count: 0 });
      expect(counts(bob)).toEqual([0]);
    });

    it('counts broadcasts for every user but the actor, and a user’s read for that user only', async () => {
      const publisherToken = token('herald', { roles: ['service'] });
      const [alice, bob, herald] = await open(token('alice'), token('bob'), publisherToken);
      await eventually(
        () => [alice, bob, herald].every((client) => counts(client).length >= 1),
        'the opening counts',
      );
      const [broadcast] = await notify('*', 'for everyone', publisherToken);
      await eventually(
        () => lastCount(alice) === 1 && lastCount(bob) === 1,
        'alice and bob to count the broadcast',
      );
      await markRead('alice', broadcast.id).expect(204);
      await eventually(() => lastCount(alice) === 0, 'alice to count 0');
      await sleep(150);
      expect(changes(counts(alice))).toEqual([0, 1, 0]);
      expect(changes(counts(bob))).toEqual([0, 1]);
      expect(counts(herald)).toEqual([0]);
      expect(await unreadCount('bob')).toEqual({ count: 1 });
    });

    it('sends nothing to either user when marking another user’s notification fails', async () => {
      const [forBob] = await notify(['bob'], 'for bob');
      const [alice, bob] = await open(token('alice'), token('bob'));
      await eventually(
        () => counts(alice).length >= 1 && counts(bob).length >= 1,
        'the opening counts',
      );
      await markRead('alice', forBob.id).expect(404);
      await sleep(200);
      expect(counts(alice)).toEqual([0]);
      expect(counts(bob)).toEqual([1]);
    });

    it('ends every tab at the true count when notifications arrive while tabs are opening', async () => {
      const publishing = Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 3 === 0 ? notify('*', `b${i}`) : notify(['racer'], `n${i}`),
        ),
      );
      const tabs = await Promise.all([
        open(token('racer')),
        sleep(5).then(() => open(token('racer'))),
        sleep(15).then(() => open(token('racer'))),
      ]);
      await publishing;
      expect(await unreadCount('racer')).toEqual({ count: 30 });
      await eventually(
        () => tabs.flat().every((tab) => lastCount(tab) === 30),
        'every tab to show 30',
      ).catch(() => {
        throw new Error(`tabs ended at ${JSON.stringify(tabs.flat().map(lastCount))}, not 30`);
      });
      for (const tab of tabs.flat()) expect(Math.max(...counts(tab))).toBe(30);
    });

    it('carries no id: line on the wire', async () => {
      const stream = raw(token('wire'));
      await stream.waitForBody('event: unread-count');
      const [sent] = await notify(['wire'], 'n1');
      await stream.waitForBody('data: {"count":1}');
      await markRead('wire', sent.id).expect(204);
      await eventually(
        () => stream.blocks.filter((block) => block.includes('event: unread-count')).length >= 3,
        'three unread-count events',
      );
      const countBlocks = stream.blocks.filter((block) => block.includes('event: unread-count'));
      expect(countBlocks).toEqual([
        'event: unread-count\ndata: {"count":0}',
        'event: unread-count\ndata: {"count":1}',
        'event: unread-count\ndata: {"count":0}',
      ]);
      for (const block of countBlocks) {
        expect(block.split('\n').some((line) => line.startsWith('id'))).toBe(false);
      }
      // The notification itself does carry its cursor.
      expect(stream.body).toContain(`id: ${sent.id}\nevent: test.ping\n`);
    });
  });

  describe('authentication', () => {
    const routes: [string, string][] = [
      ['get', '/notifications'],
      ['get', '/notifications?unread=true&limit=5'],
      ['get', '/notifications/unread-count'],
      ['post', '/notifications/1/read'],
      ['post', '/notifications/read-all'],
    ];

    it.each(routes)('answers 401 to %s %s without a token', async (method, path) => {
      const [stored] = await notify(['alice'], 'n1');
      const agent = request(t.url);
      const response = await (method === 'get'
        ? agent.get(path)
        : agent.post(path.replace('/1/', `/${stored.id}/`)));
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      // Nest's default body also carries "error": "Unauthorized"; the contract's fields must be there.
      expect(response.body).toEqual(
        expect.objectContaining({ statusCode: 401, message: expect.any(String) }),
      );
      expect(await unreadCount('alice')).toEqual({ count: 1 });
    });

    it.each(routes)('answers 401 to %s %s with a badly signed token', async (method, path) => {
      const forged = bearer(token('alice', { secret: 'not-the-secret' }));
      const [stored] = await notify(['alice'], 'n1');
      const agent = request(t.url);
      const response = await (method === 'get'
        ? agent.get(path).set(forged)
        : agent.post(path.replace('/1/', `/${stored.id}/`)).set(forged));
      expect(response.status).toBe(401);
      expect((response.body as ErrorBody).statusCode).toBe(401);
      expect(await unreadCount('alice')).toEqual({ count: 1 });
    });
  });
});
