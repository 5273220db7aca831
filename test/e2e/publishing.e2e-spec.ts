import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, openStreams, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

interface Workflow {
  id: string;
  name: string;
  starterId: string;
  approvers: string[] | null;
  status: string;
  decision: { userId: string; decision: string; comment: string | null } | null;
}

/** Events that are not notifications (no `id:`); a publish must be judged without them. */
const CONTROL_EVENTS = new Set(['unread-count', 'reset', 'token-expiring', 'end', 'snapshot']);

/** The notifications a client received, in order, data parsed. */
const notificationsOf = (client: StreamClient): Notification[] =>
  client.events
    .filter((event) => !CONTROL_EVENTS.has(event.type))
    .map((event) => JSON.parse(event.data) as Notification);

const waitForNotifications = (client: StreamClient, count: number, what: string) =>
  eventually(() => notificationsOf(client).length >= count, what);

/** The error messages of a 4xx answer: Nest's validation gives an array, other errors a string. */
const messagesOf = (body: unknown): string[] => {
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.map(String) : [String(message)];
};

const PAST: Record<string, string> = {
  approve: 'workflow.approved',
  reject: 'workflow.rejected',
};

const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const admin = token('admin-1', { roles: ['admin'] });
const service = token('billing', { roles: ['service'] });

describe('Publishing', () => {
  let t: TestApp;
  const raws: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({ HEARTBEAT_MS: '60000', PUBLISH_RATE_LIMIT: '100000' });
  });
  afterEach(async () => {
    closeAllClients();
    raws.splice(0).forEach((raw) => raw.close());
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  const open = (...users: string[]) => openStreams(t.url, ...users.map((user) => token(user)));
  /** Like `open`, listening to event types of the tests' own too. */
  const openListening = (types: string[], ...users: string[]) =>
    Promise.all(users.map((user) => new StreamClient(t.url, token(user), { types }).ready()));
  const raw = async (user: string) => {
    const stream = new RawStream(`${t.url}/notifications/stream`, bearer(token(user)));
    raws.push(stream);
    await stream.waitForBody('retry:');
    return stream;
  };
  const post = (path: string, as: string | null, body?: unknown) => {
    const req = request(t.url).post(path);
    if (as !== null) void req.set(bearer(as));
    return body === undefined ? req : req.send(body as object);
  };
  const startWorkflow = async (starter: string, approvers?: string[]) => {
    const res = await post('/workflows', token(starter), {
      name: `wf by ${starter}`,
      ...(approvers ? { approvers } : {}),
    }).expect(201);
    return res.body as Workflow;
  };

  /**
   * Proves a refused request published nothing: the would-be recipients' streams
   * (EventSource and raw bytes) are open during it, and a valid publish sent after
   * it is the first and only notification they see.
   */
  const expectRefusedAndSilent = async (
    send: () => request.Test,
    status: number,
    field?: RegExp,
    watchers: string[] = ['victim', 'bystander'],
  ) => {
    // The raw streams see any event at all; the EventSource clients also those of the bad bodies' types.
    const clients = await openListening(['test.bad'], ...watchers);
    const rawStreams = await Promise.all(watchers.map((user) => raw(user)));
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toEqual(expect.objectContaining({ statusCode: status }));
    if (field)
      expect(messagesOf(res.body)).toEqual(expect.arrayContaining([expect.stringMatching(field)]));
    await sleep(100);
    const valid = await post('/notifications', service, {
      recipients: watchers,
      type: 'test.ping',
      title: 'the first and only',
    }).expect(201);
    const sent = (valid.body as { items: Notification[] }).items;
    for (const [i, client] of clients.entries()) {
      await waitForNotifications(client, 1, `${watchers[i]} to get the valid publish`);
    }
    await Promise.all(rawStreams.map((stream) => stream.waitForBody('the first and only')));
    await sleep(100);
    for (const [i, client] of clients.entries()) {
      expect(notificationsOf(client)).toEqual([sent.find((n) => n.recipient === watchers[i])]);
      const idLines = rawStreams[i].body.split('\n').filter((line) => line.startsWith('id:'));
      expect(idLines).toEqual([`id: ${notificationsOf(client)[0].id}`]);
    }
  };

  describe('POST /messages', () => {
    it('answers 201 with the stored message and notifies exactly the users in `to`', async () => {
      const [author, bob, carol, dave] = await open('alice', 'bob', 'carol', 'dave');
      const res = await post('/messages', token('alice'), {
        text: 'Lunch?',
        to: ['bob', 'carol'],
      }).expect(201);
      const message = res.body as Record<string, unknown>;
      expect(message).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          authorId: 'alice',
          text: 'Lunch?',
          to: ['bob', 'carol'],
          createdAt: expect.stringMatching(ISO_8601),
        }),
      );
      await waitForNotifications(bob, 1, 'bob’s message');
      await waitForNotifications(carol, 1, 'carol’s message');
      await sleep(150);
      for (const [client, user] of [
        [bob, 'bob'],
        [carol, 'carol'],
      ] as const) {
        expect(notificationsOf(client)).toEqual([
          {
            id: expect.any(String),
            type: 'message.created',
            recipient: user,
            actorId: 'alice',
            title: expect.any(String),
            body: 'Lunch?',
            data: expect.objectContaining({ messageId: message.id }),
            createdAt: expect.stringMatching(ISO_8601),
          },
        ]);
        expect(client.events.filter((e) => !CONTROL_EVENTS.has(e.type)).map((e) => e.type)).toEqual(
          ['message.created'],
        );
      }
      expect(notificationsOf(dave)).toEqual([]);
      expect(notificationsOf(author)).toEqual([]);
    });

    it('broadcasts once (recipient "*") to every other user, not the author, when `to` is absent', async () => {
      const [author, bob, carol, dave] = await open('alice', 'bob', 'carol', 'dave');
      const res = await post('/messages', token('alice'), { text: 'Hello all' }).expect(201);
      const message = res.body as { id: string; authorId: string; text: string };
      expect(message).toEqual(
        expect.objectContaining({ id: expect.any(String), authorId: 'alice', text: 'Hello all' }),
      );
      for (const client of [bob, carol, dave]) {
        await waitForNotifications(client, 1, 'the broadcast');
      }
      await sleep(150);
      const received = [bob, carol, dave].map((client) => notificationsOf(client));
      for (const notifications of received) {
        expect(notifications).toEqual([
          expect.objectContaining({
            type: 'message.created',
            recipient: '*',
            actorId: 'alice',
            body: 'Hello all',
            data: expect.objectContaining({ messageId: message.id }),
          }),
        ]);
      }
      // One broadcast: the same stored notification (same cursor) for everybody.
      expect(new Set(received.map(([n]) => n.id)).size).toBe(1);
      expect(notificationsOf(author)).toEqual([]);
    });
  });

  describe('POST /workflows', () => {
    it('answers 201 with the workflow and sends workflow.started to the approvers only', async () => {
      const [starter, a1, a2, outsider] = await open('starter', 'appr-1', 'appr-2', 'outsider');
      const res = await post('/workflows', token('starter'), {
        name: 'Deploy v2',
        approvers: ['appr-1', 'appr-2'],
      }).expect(201);
      const workflow = res.body as Workflow;
      expect(workflow).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          name: 'Deploy v2',
          starterId: 'starter',
          approvers: ['appr-1', 'appr-2'],
          status: 'pending',
        }),
      );
      await waitForNotifications(a1, 1, 'appr-1’s workflow.started');
      await waitForNotifications(a2, 1, 'appr-2’s workflow.started');
      await sleep(150);
      for (const [client, user] of [
        [a1, 'appr-1'],
        [a2, 'appr-2'],
      ] as const) {
        expect(notificationsOf(client)).toEqual([
          expect.objectContaining({
            type: 'workflow.started',
            recipient: user,
            actorId: 'starter',
            data: expect.objectContaining({ workflowId: workflow.id }),
          }),
        ]);
      }
      expect(notificationsOf(outsider)).toEqual([]);
      expect(notificationsOf(starter)).toEqual([]);
    });

    it('broadcasts workflow.started to every other user when approvers are absent', async () => {
      const [starter, u1, u2] = await open('starter', 'u1', 'u2');
      const workflow = await startWorkflow('starter');
      expect(workflow.approvers ?? null).toBeNull();
      await waitForNotifications(u1, 1, 'u1’s broadcast');
      await waitForNotifications(u2, 1, 'u2’s broadcast');
      await sleep(150);
      for (const client of [u1, u2]) {
        expect(notificationsOf(client)).toEqual([
          expect.objectContaining({
            type: 'workflow.started',
            recipient: '*',
            actorId: 'starter',
            data: expect.objectContaining({ workflowId: workflow.id }),
          }),
        ]);
      }
      expect(notificationsOf(starter)).toEqual([]);
    });
  });

  describe('POST /workflows/:id/approve and /reject', () => {
    it.each([
      ['approve', 'approved', 'LGTM'],
      ['reject', 'rejected', 'Not before Friday'],
    ])(
      '/%s by an approver answers 201 and sends workflow.%s to the starter only, the comment as body',
      async (action, decision, comment) => {
        const workflow = await startWorkflow('starter', ['appr-1', 'appr-2']);
        const [starter, a1, a2, outsider] = await open('starter', 'appr-1', 'appr-2', 'outsider');
        const res = await post(`/workflows/${workflow.id}/${action}`, token('appr-1'), {
          comment,
        }).expect(201);
        expect(res.body).toEqual(
          expect.objectContaining({
            id: workflow.id,
            status: decision,
            decision: expect.objectContaining({ userId: 'appr-1', decision, comment }),
          }),
        );
        await waitForNotifications(starter, 1, `the starter’s workflow.${decision}`);
        await sleep(150);
        expect(notificationsOf(starter)).toEqual([
          {
            id: expect.any(String),
            type: `workflow.${decision}`,
            recipient: 'starter',
            actorId: 'appr-1',
            title: expect.any(String),
            body: comment,
            data: expect.objectContaining({ workflowId: workflow.id }),
            createdAt: expect.stringMatching(ISO_8601),
          },
        ]);
        expect(starter.events.find((e) => !CONTROL_EVENTS.has(e.type))?.type).toBe(
          `workflow.${decision}`,
        );
        for (const client of [a1, a2, outsider]) expect(notificationsOf(client)).toEqual([]);
      },
    );

    it('lets any other user decide when no approvers are listed', async () => {
      const workflow = await startWorkflow('starter');
      const [starter] = await open('starter');
      const res = await post(`/workflows/${workflow.id}/approve`, token('anyone'), {
        comment: 'fine by me',
      }).expect(201);
      expect((res.body as Workflow).status).toBe('approved');
      await waitForNotifications(starter, 1, 'the starter’s workflow.approved');
      expect(notificationsOf(starter)).toEqual([
        expect.objectContaining({
          type: 'workflow.approved',
          recipient: 'starter',
          actorId: 'anyone',
          body: 'fine by me',
        }),
      ]);
    });

    it.each([
      ['approve', 'starter', 403],
      ['reject', 'starter', 403],
      ['approve', 'outsider', 404],
      ['reject', 'outsider', 404],
    ])(
      '/%s by the %s answers %i, publishes nothing and leaves the workflow pending',
      async (action, user, status) => {
        const workflow = await startWorkflow('starter', ['victim']);
        await expectRefusedAndSilent(
          () => post(`/workflows/${workflow.id}/${action}`, token(user), { comment: 'x' }),
          status,
          undefined,
          ['starter', 'victim', 'bystander'],
        );
        await post(`/workflows/${workflow.id}/approve`, token('victim'), {}).expect(201);
      },
    );

    it('lets the starter get 403 even when no approvers are listed', async () => {
      const workflow = await startWorkflow('starter');
      await post(`/workflows/${workflow.id}/approve`, token('starter'), {}).expect(403);
      await post(`/workflows/${workflow.id}/reject`, token('starter'), {}).expect(403);
    });

    it.each(['approve', 'reject', 'cancel'])('/%s of an unknown id answers 404', async (action) => {
      const res = await post(`/workflows/no-such-workflow/${action}`, token('someone'), {}).expect(
        404,
      );
      expect(res.body).toEqual(expect.objectContaining({ statusCode: 404 }));
    });

    it.each([
      ['approve', 'approve'],
      ['approve', 'reject'],
      ['reject', 'approve'],
      ['reject', 'reject'],
    ])(
      'a workflow finished by /%s answers 409 to /%s and publishes nothing more',
      async (first, second) => {
        const workflow = await startWorkflow('starter', ['appr-1', 'appr-2']);
        const [starter] = await open('starter');
        await post(`/workflows/${workflow.id}/${first}`, token('appr-1'), {}).expect(201);
        await waitForNotifications(starter, 1, 'the first decision');
        const res = await post(`/workflows/${workflow.id}/${second}`, token('appr-2'), {
          comment: 'too late',
        }).expect(409);
        expect(res.body).toEqual(expect.objectContaining({ statusCode: 409 }));
        // The same approver deciding again is a 409 too.
        await post(`/workflows/${workflow.id}/${second}`, token('appr-1'), {}).expect(409);
        await sleep(150);
        expect(notificationsOf(starter).map((n) => n.type)).toEqual([PAST[first]]);
      },
    );

    it('answers 409 to deciding a cancelled workflow', async () => {
      const workflow = await startWorkflow('starter', ['appr-1']);
      await post(`/workflows/${workflow.id}/cancel`, token('starter')).expect(201);
      const [starter, approver] = await open('starter', 'appr-1');
      await post(`/workflows/${workflow.id}/approve`, token('appr-1'), {}).expect(409);
      await post(`/workflows/${workflow.id}/reject`, token('appr-1'), {}).expect(409);
      await sleep(150);
      expect(notificationsOf(starter)).toEqual([]);
      expect(notificationsOf(approver)).toEqual([]);
    });
  });

  describe('POST /workflows/:id/cancel', () => {
    it('by the starter answers 201 and sends workflow.cancelled to the approvers', async () => {
      const workflow = await startWorkflow('starter', ['appr-1', 'appr-2']);
      const [starter, a1, a2, outsider] = await open('starter', 'appr-1', 'appr-2', 'outsider');
      const res = await post(`/workflows/${workflow.id}/cancel`, token('starter')).expect(201);
      expect(res.body).toEqual(expect.objectContaining({ id: workflow.id, status: 'cancelled' }));
      await waitForNotifications(a1, 1, 'appr-1’s workflow.cancelled');
      await waitForNotifications(a2, 1, 'appr-2’s workflow.cancelled');
      await sleep(150);
      for (const [client, user] of [
        [a1, 'appr-1'],
        [a2, 'appr-2'],
      ] as const) {
        expect(notificationsOf(client)).toEqual([
          expect.objectContaining({
            type: 'workflow.cancelled',
            recipient: user,
            actorId: 'starter',
            data: expect.objectContaining({ workflowId: workflow.id }),
          }),
        ]);
      }
      expect(notificationsOf(starter)).toEqual([]);
      expect(notificationsOf(outsider)).toEqual([]);
    });

    it('sends workflow.cancelled to every other user when no approvers are listed', async () => {
      const workflow = await startWorkflow('starter');
      const [starter, u1, u2] = await open('starter', 'u1', 'u2');
      // Anyone may see it, but only the starter may cancel it.
      await post(`/workflows/${workflow.id}/cancel`, token('u1')).expect(403);
      await post(`/workflows/${workflow.id}/cancel`, token('starter')).expect(201);
      await waitForNotifications(u1, 1, 'u1’s broadcast');
      await waitForNotifications(u2, 1, 'u2’s broadcast');
      await sleep(150);
      for (const client of [u1, u2]) {
        expect(notificationsOf(client)).toEqual([
          expect.objectContaining({
            type: 'workflow.cancelled',
            recipient: '*',
            actorId: 'starter',
          }),
        ]);
      }
      expect(notificationsOf(starter)).toEqual([]);
    });

    it.each([
      [403, 'an approver', 'victim'],
      [404, 'an outsider', 'outsider'],
    ])('answers %i to %s and publishes nothing', async (status, _who, user) => {
      const workflow = await startWorkflow('starter', ['victim']);
      await expectRefusedAndSilent(
        () => post(`/workflows/${workflow.id}/cancel`, token(user)),
        status,
        undefined,
        ['starter', 'victim', 'bystander'],
      );
      // Still pending: the starter can cancel it now.
      await post(`/workflows/${workflow.id}/cancel`, token('starter')).expect(201);
    });

    it.each(['approve', 'reject', 'cancel'])(
      'answers 409 for a workflow finished by /%s',
      async (finish) => {
        const workflow = await startWorkflow('starter', ['victim']);
        await post(
          `/workflows/${workflow.id}/${finish}`,
          token(finish === 'cancel' ? 'starter' : 'victim'),
          {},
        ).expect(201);
        await expectRefusedAndSilent(
          () => post(`/workflows/${workflow.id}/cancel`, token('starter')),
          409,
          undefined,
          ['starter', 'victim', 'bystander'],
        );
      },
    );
  });

  describe('POST /announcements', () => {
    it('by an admin answers 201 with the broadcast notification, delivered to all but its author', async () => {
      const [author, u1, u2] = await open('admin-1', 'u1', 'u2');
      const res = await post('/announcements', admin, {
        title: 'Maintenance',
        body: 'Tonight 22:00',
      }).expect(201);
      const notification = res.body as Notification;
      expect(notification).toEqual({
        id: expect.any(String),
        type: 'announcement',
        recipient: '*',
        actorId: 'admin-1',
        title: 'Maintenance',
        body: 'Tonight 22:00',
        data: expect.any(Object),
        createdAt: expect.stringMatching(ISO_8601),
      });
      await waitForNotifications(u1, 1, 'u1’s announcement');
      await waitForNotifications(u2, 1, 'u2’s announcement');
      await sleep(150);
      expect(notificationsOf(u1)).toEqual([notification]);
      expect(notificationsOf(u2)).toEqual([notification]);
      expect(u1.events.find((e) => e.type === 'announcement')?.lastEventId).toBe(notification.id);
      expect(notificationsOf(author)).toEqual([]);
    });

    it.each([
      ['a user without a role', token('plain')],
      ['a user with another role', token('editor', { roles: ['editor'] })],
      ['the service role', service],
    ])('by %s answers 403 and publishes nothing', async (_who, caller) => {
      await expectRefusedAndSilent(
        () => post('/announcements', caller, { title: 'Hi', body: 'there' }),
        403,
      );
    });
  });

  describe('POST /notifications', () => {
    it.each([
      ['admin', admin, 'admin-1'],
      ['service', service, 'billing'],
    ])(
      'by the %s role answers 201 {items} with one notification per recipient, the caller as actorId',
      async (_role, caller, callerId) => {
        const [self, alice, bob, carol] = await openListening(
          ['order.shipped_v2-x'],
          callerId,
          'n-alice',
          'n-bob',
          'n-carol',
        );
        const data = { orderId: 42, nested: { tags: ['a', 'b'], ok: true, none: null } };
        const res = await post('/notifications', caller, {
          recipients: ['n-alice', 'n-bob'],
          type: 'order.shipped_v2-x',
          title: 'Shipped',
          body: 'Your order is on its way',
          data,
        }).expect(201);
        const { items } = res.body as { items: Notification[] };
        expect(Object.keys(res.body as object)).toEqual(['items']);
        expect(items).toHaveLength(2);
        expect(items.map((n) => n.recipient).sort()).toEqual(['n-alice', 'n-bob']);
        for (const item of items) {
          expect(item).toEqual({
            id: expect.any(String),
            type: 'order.shipped_v2-x',
            recipient: item.recipient,
            actorId: callerId,
            title: 'Shipped',
            body: 'Your order is on its way',
            data,
            createdAt: expect.stringMatching(ISO_8601),
          });
        }
        expect(new Set(items.map((n) => n.id)).size).toBe(2);
        await waitForNotifications(alice, 1, 'n-alice’s notification');
        await waitForNotifications(bob, 1, 'n-bob’s notification');
        await sleep(150);
        expect(notificationsOf(alice)).toEqual([items.find((n) => n.recipient === 'n-alice')]);
        expect(notificationsOf(bob)).toEqual([items.find((n) => n.recipient === 'n-bob')]);
        expect(notificationsOf(carol)).toEqual([]);
        expect(notificationsOf(self)).toEqual([]);
      },
    );

    it.each([
      ['admin', admin, 'admin-1'],
      ['service', service, 'billing'],
    ])(
      'by the %s role with recipients "*" answers one broadcast, delivered to all but the caller',
      async (_role, caller, callerId) => {
        const [self, u1, u2] = await openListening(['system.notice'], callerId, 'u1', 'u2');
        const res = await post('/notifications', caller, {
          recipients: '*',
          type: 'system.notice',
          title: 'Heads up',
        }).expect(201);
        const { items } = res.body as { items: Notification[] };
        expect(items).toEqual([
          {
            id: expect.any(String),
            type: 'system.notice',
            recipient: '*',
            actorId: callerId,
            title: 'Heads up',
            body: '',
            data: {},
            createdAt: expect.stringMatching(ISO_8601),
          },
        ]);
        await waitForNotifications(u1, 1, 'u1’s broadcast');
        await waitForNotifications(u2, 1, 'u2’s broadcast');
        await sleep(150);
        expect(notificationsOf(u1)).toEqual(items);
        expect(notificationsOf(u2)).toEqual(items);
        expect(notificationsOf(self)).toEqual([]);
      },
    );

    it('keeps `data` exactly as sent, whatever its ordinary keys are called', async () => {
      const [victim] = await openListening(['test.data'], 'victim');
      const data = {
        toString: 's',
        hasOwnProperty: 1,
        valueOf: null,
        nested: { toJSON: { kept: true }, list: [{ isPrototypeOf: 'x' }] },
      };
      const res = await post('/notifications', service, {
        recipients: ['victim'],
        type: 'test.data',
        title: 'odd keys',
        data,
      }).expect(201);
      expect((res.body as { items: Notification[] }).items[0].data).toEqual(data);
      await waitForNotifications(victim, 1, 'the notification');
      expect(notificationsOf(victim)[0].data).toEqual(data);
    });

    it.each(['constructor', 'prototype', '__proto__'])(
      'refuses a body with the key %s anywhere (rather than dropping it) and publishes nothing',
      async (key) => {
        const body = `{"recipients":["victim"],"type":"test.bad","title":"t","data":{"nested":{"${key}":{"x":1}}}}`;
        await expectRefusedAndSilent(
          () =>
            request(t.url)
              .post('/notifications')
              .set(bearer(service))
              .set('Content-Type', 'application/json')
              .send(body),
          400,
          new RegExp(`"${key}" is not allowed`),
        );
      },
    );

    it.each([
      ['a user without a role', token('plain')],
      ['a user with another role', token('editor', { roles: ['editor'] })],
    ])('by %s answers 403 and publishes nothing', async (_who, caller) => {
      await expectRefusedAndSilent(
        () =>
          post('/notifications', caller, {
            recipients: ['victim', 'bystander'],
            type: 'test.ping',
            title: 'forged',
          }),
        403,
      );
    });
  });

  describe('bad input: 400 naming the field, and nothing published', () => {
    const author = token('mallory');
    const valid = {
      message: { text: 'hi', to: ['victim'] },
      workflow: { name: 'w', approvers: ['victim'] },
      announcement: { title: 't', body: 'b' },
      notification: { recipients: ['victim'], type: 'test.bad', title: 't' },
    };
    const cases: [string, string, string, unknown, RegExp][] = [
      // POST /messages
      ['/messages', 'missing text', author, { to: ['victim'] }, /text/],
      ['/messages', 'missing text (broadcast)', author, {}, /text/],
      ['/messages', 'text: 5', author, { ...valid.message, text: 5 }, /text/],
      ['/messages', 'text: ["hi"]', author, { ...valid.message, text: ['hi'] }, /text/],
      ['/messages', 'text: null', author, { ...valid.message, text: null }, /text/],
      ['/messages', 'to: "victim"', author, { ...valid.message, to: 'victim' }, /\bto\b/],
      ['/messages', 'to: []', author, { ...valid.message, to: [] }, /\bto\b/],
      ['/messages', 'to: [5]', author, { ...valid.message, to: [5] }, /\bto\b/],
      ['/messages', 'to: {}', author, { ...valid.message, to: {} }, /\bto\b/],
      ['/messages', 'to: ["*"]', author, { ...valid.message, to: ['*'] }, /"\*" is not one/],
      // null is not "absent": taken for a missing `to`, it would broadcast to everyone.
      ['/messages', 'to: null', author, { ...valid.message, to: null }, /\bto\b/],
      [
        '/messages',
        'an unknown field',
        author,
        { ...valid.message, x: 1 },
        /property x should not exist/,
      ],
      [
        '/messages',
        'a recipient of 201 characters',
        author,
        { ...valid.message, to: ['v'.repeat(201)] },
        /\bto\b.*200 characters/,
      ],
      // POST /workflows
      ['/workflows', 'missing name', author, { approvers: ['victim'] }, /name/],
      ['/workflows', 'missing name (broadcast)', author, {}, /name/],
      ['/workflows', 'name: 5', author, { ...valid.workflow, name: 5 }, /name/],
      [
        '/workflows',
        'approvers: "victim"',
        author,
        { ...valid.workflow, approvers: 'victim' },
        /approvers/,
      ],
      ['/workflows', 'approvers: []', author, { ...valid.workflow, approvers: [] }, /approvers/],
      ['/workflows', 'approvers: [5]', author, { ...valid.workflow, approvers: [5] }, /approvers/],
      [
        '/workflows',
        'approvers: null',
        author,
        { ...valid.workflow, approvers: null },
        /approvers/,
      ],
      [
        '/workflows',
        'approvers: ["*"]',
        author,
        { ...valid.workflow, approvers: ['victim', '*'] },
        /approvers must list user ids/,
      ],
      [
        '/workflows',
        'an unknown field',
        author,
        { ...valid.workflow, x: 1 },
        /property x should not exist/,
      ],
      // POST /announcements
      ['/announcements', 'missing title', admin, { body: 'b' }, /title/],
      ['/announcements', 'missing body', admin, { title: 't' }, /body/],
      ['/announcements', 'title: 5', admin, { ...valid.announcement, title: 5 }, /title/],
      ['/announcements', 'body: {}', admin, { ...valid.announcement, body: {} }, /body/],
      [
        '/announcements',
        'an unknown field',
        admin,
        { ...valid.announcement, x: 1 },
        /property x should not exist/,
      ],
      // POST /notifications
      [
        '/notifications',
        'missing recipients',
        service,
        { type: 'test.bad', title: 't' },
        /recipients/,
      ],
      [
        '/notifications',
        'a recipient of 201 characters',
        service,
        { ...valid.notification, recipients: ['v'.repeat(201)] },
        /recipients.*at most 200 characters/,
      ],
      ['/notifications', 'missing type', service, { recipients: ['victim'], title: 't' }, /type/],
      [
        '/notifications',
        'recipients: ["*"]',
        service,
        { ...valid.notification, recipients: ['victim', '*'] },
        /recipients/,
      ],
      [
        '/notifications',
        'duplicate recipients',
        service,
        { ...valid.notification, recipients: ['victim', 'victim'] },
        /distinct/,
      ],
      [
        '/notifications',
        'a control event as type',
        service,
        { ...valid.notification, type: 'unread-count' },
        /control event/,
      ],
      [
        '/notifications',
        'type: "reset"',
        service,
        { ...valid.notification, type: 'reset' },
        /control event/,
      ],
      [
        '/notifications',
        'missing title',
        service,
        { recipients: ['victim'], type: 'test.bad' },
        /title/,
      ],
      [
        '/notifications',
        'recipients: []',
        service,
        { ...valid.notification, recipients: [] },
        /recipients/,
      ],
      [
        '/notifications',
        'recipients: "victim"',
        service,
        { ...valid.notification, recipients: 'victim' },
        /recipients/,
      ],
      [
        '/notifications',
        'recipients: [5]',
        service,
        { ...valid.notification, recipients: [5] },
        /recipients/,
      ],
      [
        '/notifications',
        'recipients: 5',
        service,
        { ...valid.notification, recipients: 5 },
        /recipients/,
      ],
      ['/notifications', 'type: 5', service, { ...valid.notification, type: 5 }, /type/],
      ['/notifications', 'type: ""', service, { ...valid.notification, type: '' }, /type/],
      ['/notifications', 'type: "a b"', service, { ...valid.notification, type: 'a b' }, /type/],
      ['/notifications', 'type: "x\\ny"', service, { ...valid.notification, type: 'x\ny' }, /type/],
      ['/notifications', 'type: "x\\n"', service, { ...valid.notification, type: 'x\n' }, /type/],
      [
        '/notifications',
        'type: "<script>"',
        service,
        { ...valid.notification, type: '<script>' },
        /type/,
      ],
      ['/notifications', 'type: "a:b"', service, { ...valid.notification, type: 'a:b' }, /type/],
      [
        '/notifications',
        'type broadcast "a b"',
        service,
        { ...valid.notification, recipients: '*', type: 'a b' },
        /type/,
      ],
      ['/notifications', 'title: 5', service, { ...valid.notification, title: 5 }, /title/],
      ['/notifications', 'body: 5', service, { ...valid.notification, body: 5 }, /body/],
      ['/notifications', 'body: null', service, { ...valid.notification, body: null }, /body/],
      ['/notifications', 'data: null', service, { ...valid.notification, data: null }, /data/],
      ['/notifications', 'data: "x"', service, { ...valid.notification, data: 'x' }, /data/],
      ['/notifications', 'data: 5', service, { ...valid.notification, data: 5 }, /data/],
      ['/notifications', 'data: [1]', service, { ...valid.notification, data: [1] }, /data/],
      [
        '/notifications',
        'an unknown field',
        service,
        { ...valid.notification, x: 1 },
        /property x should not exist/,
      ],
    ];

    it.each(cases)('POST %s with %s', async (path, _what, caller, body, field) => {
      await expectRefusedAndSilent(() => post(path, caller, body), 400, field);
    });

    it.each([
      ['approve', { comment: 5 }, /comment/],
      ['reject', { comment: ['no'] }, /comment/],
      ['approve', { comment: null }, /comment/],
      ['approve', { comment: 'ok', x: 1 }, /property x should not exist/],
      ['reject', { comment: 'ok', x: 1 }, /property x should not exist/],
    ])('POST /workflows/:id/%s with %j', async (action, body, field) => {
      const workflow = await startWorkflow('starter', ['victim']);
      await expectRefusedAndSilent(
        () => post(`/workflows/${workflow.id}/${action}`, token('victim'), body),
        400,
        field,
        ['starter', 'victim', 'bystander'],
      );
      // Still pending: the refused decision changed nothing.
      await post(`/workflows/${workflow.id}/${action}`, token('victim'), {}).expect(201);
    });

    it('POST /workflows/:id/cancel with an unknown field', async () => {
      const workflow = await startWorkflow('starter', ['victim']);
      await expectRefusedAndSilent(
        () => post(`/workflows/${workflow.id}/cancel`, token('starter'), { x: 1 }),
        400,
        /property x should not exist/,
        ['starter', 'victim', 'bystander'],
      );
    });

    it.each(['/messages', '/workflows', '/announcements', '/notifications'])(
      'POST %s with invalid JSON answers 400',
      async (path) => {
        const caller =
          path === '/announcements' ? admin : path === '/notifications' ? service : author;
        await expectRefusedAndSilent(
          () =>
            post(path, caller)
              .set('Content-Type', 'application/json')
              .send('{"recipients": ["victim"], "to": ["victim"], "text": "hi"'),
          400,
        );
      },
    );

    it.each(['/messages', '/notifications'])(
      'POST %s with a JSON array instead of an object answers 400',
      async (path) => {
        const caller = path === '/notifications' ? service : author;
        await expectRefusedAndSilent(
          () => post(path, caller, [path === '/messages' ? valid.message : valid.notification]),
          400,
        );
      },
    );

    it.each([
      ['/messages', author, { text: 'a'.repeat(70 * 1024), to: ['victim'] }],
      ['/announcements', admin, { title: 't', body: 'a'.repeat(70 * 1024) }],
      ['/notifications', service, { ...valid.notification, data: { blob: 'a'.repeat(70 * 1024) } }],
    ])('POST %s with a body over 64 KiB answers 413', async (path, caller, body) => {
      expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(64 * 1024);
      await expectRefusedAndSilent(() => post(path, caller, body), 413);
    });

    it.each([
      ['/messages', author, 'text=hi&to[]=victim'],
      ['/notifications', service, 'recipients[]=victim&type=test.bad&title=t'],
      // What a JSON body may not carry (too big, a prototype key) a form must not carry either.
      ['/notifications', service, `recipients=*&type=test.bad&title=${'a'.repeat(80 * 1024)}`],
      ['/notifications', service, 'recipients[]=victim&type=test.bad&title=t&data[constructor]=1'],
    ])(
      'POST %s with a form-encoded body answers 415 (bodies are JSON)',
      async (path, caller, form) => {
        await expectRefusedAndSilent(
          () =>
            post(path, caller).set('Content-Type', 'application/x-www-form-urlencoded').send(form),
          415,
          /must be JSON/,
        );
      },
    );

    it('POST /notifications with an untyped body answers 415', async () => {
      await expectRefusedAndSilent(
        () =>
          post('/notifications', service)
            .set('Content-Type', '')
            .send(Buffer.from(JSON.stringify(valid.notification))),
        415,
        /must be JSON/,
      );
    });

    it('accepts a body just under 64 KiB (the limit is the size, not a lower one)', async () => {
      const [victim] = await openListening(['test.bad'], 'victim');
      const data = { blob: 'a'.repeat(60 * 1024) };
      const res = await post('/notifications', service, { ...valid.notification, data }).expect(
        201,
      );
      expect((res.body as { items: Notification[] }).items[0].data).toEqual(data);
      await waitForNotifications(victim, 1, 'the large notification');
      expect(notificationsOf(victim)[0].data).toEqual(data);
    });
  });

  describe('strings that are not valid Unicode: 400 naming the field, and nothing published', () => {
    const author = token('mallory');
    // JSON.stringify writes a lone surrogate as a \ud800 escape, which the service's parser
    // turns back into the lone surrogate: what a client sends on the wire.
    const cases: [string, string, string, unknown, RegExp][] = [
      ['/messages', 'text', author, { text: 'hi \ud800', to: ['victim'] }, /^text must be/],
      ['/messages', 'to[1]', author, { text: 'hi', to: ['victim', 'x\udfff'] }, /^to\[1\]/],
      ['/workflows', 'name', author, { name: '\udc00w', approvers: ['victim'] }, /^name must/],
      ['/workflows', 'approvers', author, { name: 'w', approvers: ['\ud800'] }, /^approvers\[0\]/],
      ['/announcements', 'title', admin, { title: 't\ud83d', body: 'b' }, /^title must/],
      ['/announcements', 'body', admin, { title: 't', body: '\ude00b' }, /^body must/],
      [
        '/notifications',
        'recipients[0]',
        service,
        { recipients: ['x\ud800'], type: 'test.bad', title: 't' },
        /^recipients\[0\]/,
      ],
      [
        '/notifications',
        'title',
        service,
        { recipients: ['victim'], type: 'test.bad', title: 'x\udbff' },
        /^title must/,
      ],
      [
        '/notifications',
        'a value deep in data',
        service,
        { recipients: '*', type: 'test.bad', title: 't', data: { a: [{ b: 'ok', c: '\ud800' }] } },
        /^data\.a\[0\]\.c must/,
      ],
      [
        '/notifications',
        'a key in data',
        service,
        { recipients: '*', type: 'test.bad', title: 't', data: { a: { 'k\udc00': 1 } } },
        /^a key in data\.a must/,
      ],
    ];

    it.each(cases)(
      'POST %s with a lone surrogate in %s',
      async (path, _what, caller, body, field) => {
        await expectRefusedAndSilent(() => post(path, caller, body), 400, field);
      },
    );

    it.each(['approve', 'reject'])(
      'POST /workflows/:id/%s with a lone surrogate in comment',
      async (action) => {
        const workflow = await startWorkflow('starter', ['victim']);
        await expectRefusedAndSilent(
          () =>
            post(`/workflows/${workflow.id}/${action}`, token('victim'), { comment: 'ok\ud800' }),
          400,
          /^comment must be valid Unicode/,
          ['starter', 'victim', 'bystander'],
        );
        // Still pending: the refused decision changed nothing.
        await post(`/workflows/${workflow.id}/${action}`, token('victim'), {}).expect(201);
      },
    );

    it('POST /workflows/:id/logs with a lone surrogate in a line appends nothing', async () => {
      const workflow = await startWorkflow('starter', ['victim']);
      const timeline = new RawStream(
        `${t.url}/workflows/${workflow.id}/stream`,
        bearer(token('starter')),
      );
      raws.push(timeline);
      await timeline.waitForBody('workflow.started');
      const res = await post(`/workflows/${workflow.id}/logs`, token('starter'), {
        lines: ['fine', 'broken \udfff'],
      }).expect(400);
      expect(messagesOf(res.body)).toEqual([
        expect.stringMatching(/^lines\[1\] must be valid Unicode/),
      ]);
      await post(`/workflows/${workflow.id}/logs`, token('starter'), { lines: ['after'] }).expect(
        201,
      );
      await timeline.waitForBody('after');
      expect(timeline.body).not.toContain('fine');
      expect(timeline.body.match(/^event: log$/gm)).toHaveLength(1);
    });

    it('gives back every valid string byte for byte: in the answer, live and in the inbox', async () => {
      // Astral characters (surrogate pairs), U+FFFD itself, a noncharacter, line separators.
      const odd =
        'pair \ud83d\ude00 \ud800\udc00 \udbff\udfff replacement \ufffd nonchar \uffff sep \u2028\u2029 end';
      const [victim] = await openListening(['test.unicode'], 'victim');
      const sent = {
        recipients: ['victim'],
        type: 'test.unicode',
        title: odd,
        body: odd,
        data: { [odd]: [odd] },
      };
      const res = await post('/notifications', service, sent).expect(201);
      const [stored] = (res.body as { items: Notification[] }).items;
      expect(stored).toMatchObject({ title: odd, body: odd, data: { [odd]: [odd] } });
      await waitForNotifications(victim, 1, 'the notification');
      expect(notificationsOf(victim)[0]).toMatchObject({
        title: odd,
        body: odd,
        data: { [odd]: [odd] },
      });
      const inbox = await request(t.url)
        .get('/notifications')
        .set(bearer(token('victim')))
        .expect(200);
      const listed = (inbox.body as { items: Notification[] }).items.find(
        (n) => n.id === stored.id,
      );
      expect(listed).toMatchObject({ title: odd, body: odd, data: { [odd]: [odd] } });
    });
  });

  describe('deeply nested data: 400 naming the field before anything recursive runs', () => {
    /** `levels` arrays, one inside the other. */
    const nested = (levels: number) =>
      JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;
    const notification = (data: unknown) => ({
      recipients: ['victim'],
      type: 'test.bad',
      title: 't',
      data,
    });

    it('accepts data 32 levels deep, as sent', async () => {
      const [victim] = await openListening(['test.deep'], 'victim');
      const data = { a: nested(31) };
      const res = await post('/notifications', service, {
        ...notification(data),
        type: 'test.deep',
      }).expect(201);
      expect((res.body as { items: Notification[] }).items[0].data).toEqual(data);
      await waitForNotifications(victim, 1, 'the deep notification');
      expect(notificationsOf(victim)[0].data).toEqual(data);
    });

    /**
     * A body whose `field` holds `levels` nested arrays, as JSON text: the test's own JSON
     * serializer is recursive too, and would overflow before sending 30,000 levels.
     */
    const deepBody = (fields: object, field: string, levels: number) =>
      `${JSON.stringify(fields).slice(0, -1)},"${field}":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    const postText = (path: string, caller: string, text: string) =>
      post(path, caller).set('Content-Type', 'application/json').send(text);

    // 33 is the first level refused; 2,000 overflowed the transformer's stack (500); 30,000
    // overflowed the JSON reviver's (400 naming nothing). 64 KiB hold about 32,000.
    it.each([33, 2000, 30000])(
      'refuses data %i levels deep with 400 naming data',
      async (levels) => {
        const fields = { recipients: ['victim'], type: 'test.bad', title: 't' };
        await expectRefusedAndSilent(
          () =>
            postText(
              '/notifications',
              service,
              // `data` is an object: its first level; the arrays in it are the others.
              deepBody(fields, 'data', levels - 1).replace('"data":', '"data":{"a":') + '}',
            ),
          400,
          /^data is nested deeper than 32 levels/,
        );
      },
    );

    it.each([
      ['/messages', 'to', { text: 'hi' }],
      ['/workflows', 'approvers', { name: 'w' }],
    ])('refuses a deeply nested %s body field with 400 naming it', async (path, field, fields) => {
      await expectRefusedAndSilent(
        () => postText(path, token('mallory'), deepBody(fields, field, 2000)),
        400,
        new RegExp(`^${field} is nested deeper than 32 levels`),
      );
    });
  });

  describe('authentication', () => {
    it.each([
      ['/messages', { text: 'hi', to: ['victim'] }],
      ['/workflows', { name: 'w', approvers: ['victim'] }],
      ['/workflows/some-id/approve', {}],
      ['/workflows/some-id/reject', {}],
      ['/workflows/some-id/cancel', {}],
      ['/announcements', { title: 't', body: 'b' }],
      ['/notifications', { recipients: ['victim'], type: 'test.ping', title: 't' }],
    ])('POST %s without a token answers 401 JSON and publishes nothing', async (path, body) => {
      await expectRefusedAndSilent(() => post(path, null, body), 401);
      const res = await post(path, null, body).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(
        expect.objectContaining({ statusCode: 401, message: expect.any(String) }),
      );
      // A bad token is no better than none.
      await post(path, 'not.a.jwt', body).expect(401);
    });
  });
});
