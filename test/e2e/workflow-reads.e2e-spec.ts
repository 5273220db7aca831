import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Workflow } from '../../src/workflows/workflow.js';
import { startApp, type TestApp } from '../support/app.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { bearer, token } from '../support/tokens.js';

const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The error messages of a 4xx answer: Nest's validation gives an array, other errors a string. */
const messagesOf = (body: unknown): string[] => {
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.map(String) : [String(message)];
};

let users = 0;
/** User ids of their own for each test, so that tests sharing an app see only their workflows. */
const fresh = (name: string) => `${name}-${++users}`;

/** CONTRACT.md, "Publishing", "Reading workflows", on one backend. */
function describeWorkflowReads(backend: string, env: () => Promise<Record<string, string>>) {
  describe(`Reading workflows (${backend})`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp({ ...(await env()), PUBLISH_RATE_LIMIT: '100000' });
    });
    afterAll(() => t.close());

    const get = (path: string, as: string) =>
      request(t.url)
        .get(path)
        .set(bearer(token(as)));
    const post = (path: string, as: string, body: object = {}) =>
      request(t.url)
        .post(path)
        .set(bearer(token(as)))
        .send(body)
        .expect(201);
    /** The workflows this test started: broadcast ones of other tests are listed for everyone. */
    let mine = new Set<string>();
    beforeEach(() => {
      mine = new Set();
    });
    const start = async (starter: string, approvers?: string[], name = `wf by ${starter}`) => {
      const res = await post('/workflows', starter, { name, ...(approvers ? { approvers } : {}) });
      const workflow = res.body as Workflow;
      mine.add(workflow.id);
      return workflow;
    };
    const list = async (as: string, query = '') => {
      const res = await get(`/workflows${query}`, as).expect(200);
      expect(Object.keys(res.body as object)).toEqual(['items']);
      return (res.body as { items: Workflow[] }).items;
    };
    const ids = (workflows: Workflow[]) => workflows.map((workflow) => workflow.id);
    /** The ids of the listed workflows that this test started, in the listed order. */
    const listMine = async (as: string, query = '') =>
      ids(await list(as, query)).filter((id) => mine.has(id));

    describe('GET /workflows/:id', () => {
      it('answers the workflow to its starter and its approvers, as the POST answered it', async () => {
        const [alice, bob, erin] = [fresh('alice'), fresh('bob'), fresh('erin')];
        const started = await start(alice, [bob, erin], 'Expense report #42');

        for (const user of [alice, bob, erin]) {
          const res = await get(`/workflows/${started.id}`, user).expect(200);
          expect(res.body).toEqual(started);
        }
        expect(Object.keys(started)).toEqual([
          'id',
          'name',
          'starterId',
          'approvers',
          'status',
          'decision',
          'createdAt',
          'updatedAt',
        ]);
        expect(started).toMatchObject({
          name: 'Expense report #42',
          starterId: alice,
          approvers: [bob, erin],
          status: 'pending',
          decision: null,
        });
        expect(started.createdAt).toMatch(ISO_8601);
        expect(started.updatedAt).toBe(started.createdAt);
      });

      it('answers a workflow without approvers to any user, since any other user may decide it', async () => {
        const [alice, anyone] = [fresh('alice'), fresh('anyone')];
        const started = await start(alice);
        const res = await get(`/workflows/${started.id}`, anyone).expect(200);
        expect(res.body).toEqual({ ...started, approvers: null });
      });

      it('is 404 for an outsider, exactly as for an id that does not exist', async () => {
        const [alice, bob, mallory] = [fresh('alice'), fresh('bob'), fresh('mallory')];
        const started = await start(alice, [bob]);
        const hidden = await get(`/workflows/${started.id}`, mallory).expect(404);
        const missing = await get('/workflows/no-such-workflow', mallory).expect(404);
        expect(messagesOf(hidden.body)).toEqual([`Workflow ${started.id} not found`]);
        expect(messagesOf(missing.body)).toEqual(['Workflow no-such-workflow not found']);
      });

      it('shows the decision once approved or rejected, and the cancellation', async () => {
        const [alice, bob] = [fresh('alice'), fresh('bob')];
        const [approved, rejected, cancelled] = [
          await start(alice, [bob]),
          await start(alice, [bob]),
          await start(alice, [bob]),
        ];
        const approval = await post(`/workflows/${approved.id}/approve`, bob, { comment: 'ok' });
        await post(`/workflows/${rejected.id}/reject`, bob);
        await post(`/workflows/${cancelled.id}/cancel`, alice);

        const read = async (id: string) =>
          (await get(`/workflows/${id}`, alice).expect(200)).body as Workflow;
        expect(await read(approved.id)).toEqual(approval.body);
        expect(await read(approved.id)).toMatchObject({
          status: 'approved',
          decision: { userId: bob, decision: 'approved', comment: 'ok' },
        });
        const afterReject = await read(rejected.id);
        expect(afterReject).toMatchObject({
          status: 'rejected',
          decision: { userId: bob, decision: 'rejected', comment: null },
        });
        expect(afterReject.decision?.at).toMatch(ISO_8601);
        expect(afterReject.updatedAt).toBe(afterReject.decision?.at);
        expect(await read(cancelled.id)).toMatchObject({ status: 'cancelled', decision: null });
      });

      it('is 401 without a token', async () => {
        const started = await start(fresh('alice'));
        await request(t.url).get(`/workflows/${started.id}`).expect(401);
        await request(t.url).get('/workflows').expect(401);
      });
    });

    describe('GET /workflows', () => {
      it('lists, newest first, what the caller started (role=starter) or may decide (role=approver)', async () => {
        const [alice, bob, carol, dave] = [
          fresh('alice'),
          fresh('bob'),
          fresh('carol'),
          fresh('dave'),
        ];
        const forBob = await start(alice, [bob]);
        const carolsBroadcast = await start(carol);
        const bobsOwn = await start(bob, [alice]);
        const bobsBroadcast = await start(bob);
        const notForBob = await start(carol, [dave]);
        const bobAndDave = await start(carol, [dave, bob]);

        expect(await listMine(bob, '?role=approver')).toEqual(
          ids([bobAndDave, carolsBroadcast, forBob]),
        );
        expect(ids(await list(bob, '?role=starter'))).toEqual(ids([bobsBroadcast, bobsOwn]));
        // Without a role: every workflow the caller may see.
        expect(await listMine(bob)).toEqual(
          ids([bobAndDave, bobsBroadcast, bobsOwn, carolsBroadcast, forBob]),
        );
        expect(await listMine(dave, '?role=approver')).toEqual(
          ids([bobAndDave, notForBob, bobsBroadcast, carolsBroadcast]),
        );
        expect(await list(bob, '?role=approver')).toContainEqual(forBob);
      });

      it('an approver who started a workflow naming themselves may not decide it, so it is not listed for them as approver', async () => {
        const alice = fresh('alice');
        const own = await start(alice, [alice, fresh('bob')]);
        expect(await listMine(alice, '?role=approver')).toEqual([]);
        expect(ids(await list(alice, '?role=starter'))).toEqual([own.id]);
      });

      it('filters by status, and follows approve, reject and cancel', async () => {
        const [alice, bob, carol] = [fresh('alice'), fresh('bob'), fresh('carol')];
        const toApprove = await start(alice, [bob]);
        const toReject = await start(carol);
        const toCancel = await start(alice, [bob]);
        const staysPending = await start(alice, [bob]);
        expect(await listMine(bob, '?role=approver&status=pending')).toEqual(
          ids([staysPending, toCancel, toReject, toApprove]),
        );

        await post(`/workflows/${toApprove.id}/approve`, bob);
        await post(`/workflows/${toReject.id}/reject`, bob, { comment: 'no' });
        await post(`/workflows/${toCancel.id}/cancel`, alice);

        expect(await listMine(bob, '?status=pending&role=approver')).toEqual([staysPending.id]);
        expect(ids(await list(alice, '?status=pending&role=starter'))).toEqual([staysPending.id]);
        const approved = (await list(bob, '?role=approver&status=approved')).filter(({ id }) =>
          mine.has(id),
        );
        expect(ids(approved)).toEqual([toApprove.id]);
        expect(approved[0]).toMatchObject({ status: 'approved', decision: { userId: bob } });
        expect(ids(await list(carol, '?role=starter&status=rejected'))).toEqual([toReject.id]);
        expect(ids(await list(bob, '?role=approver&status=cancelled'))).toEqual([toCancel.id]);
        expect(ids(await list(alice, '?role=starter&status=cancelled'))).toEqual([toCancel.id]);
        expect(ids(await list(alice, '?role=starter&status=approved'))).toEqual([toApprove.id]);
        expect(await list(alice, '?role=starter&status=rejected')).toEqual([]);
        // Every status together, still newest first.
        expect(await listMine(bob, '?role=approver')).toEqual(
          ids([staysPending, toCancel, toReject, toApprove]),
        );
      });

      it('answers at most `limit` workflows, the newest, and 50 by default', async () => {
        const [alice, bob] = [fresh('alice'), fresh('bob')];
        const started: Workflow[] = [];
        for (let i = 0; i < 52; i += 1) started.push(await start(alice, [bob], `wf ${i}`));
        const newestFirst = ids(started).reverse();

        expect(ids(await list(bob, '?role=approver&limit=3'))).toEqual(newestFirst.slice(0, 3));
        expect(ids(await list(alice, '?role=starter&limit=1'))).toEqual(newestFirst.slice(0, 1));
        expect(ids(await list(alice, '?role=starter'))).toEqual(newestFirst.slice(0, 50));
        expect(await listMine(bob, '?role=approver&limit=100')).toEqual(newestFirst);
      });

      it.each([
        ['role=admin', 'role'],
        ['role=', 'role'],
        ['role=approver&role=starter', 'role'],
        ['status=done', 'status'],
        ['status=Pending', 'status'],
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['limit=1.5', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=', 'limit'],
        ['page=2', 'page'],
        ['starterId=x', 'starterId'],
      ])('is 400 naming the parameter for ?%s', async (query, parameter) => {
        const alice = fresh('alice');
        await start(alice);
        const res = await get(`/workflows?${query}`, alice).expect(400);
        expect(messagesOf(res.body).join('; ')).toContain(parameter);
      });

      it('accepts the token in the query, as every GET does', async () => {
        const alice = fresh('alice');
        const started = await start(alice);
        const res = await request(t.url)
          .get(`/workflows?role=starter&access_token=${token(alice)}`)
          .expect(200);
        expect(ids((res.body as { items: Workflow[] }).items)).toEqual([started.id]);
      });
    });
  });
}

describeWorkflowReads('embedded SQLite', () => Promise.resolve({}));

describeWithRedis('Reading workflows on Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.stop());
  describeWorkflowReads('Redis', () => Promise.resolve({ REDIS_URL: server.url }));

  it('lists and reads on one instance what was started and decided on another', async () => {
    const [a, b] = [
      await startApp({ REDIS_URL: server.url }),
      await startApp({ REDIS_URL: server.url }),
    ];
    try {
      const [alice, bob] = [fresh('alice'), fresh('bob')];
      const started = (
        await request(a.url)
          .post('/workflows')
          .set(bearer(token(alice)))
          .send({ name: 'shared', approvers: [bob] })
          .expect(201)
      ).body as Workflow;
      const pending = await request(b.url)
        .get('/workflows?role=approver&status=pending&limit=1')
        .set(bearer(token(bob)))
        .expect(200);
      // The Redis is shared with the tests above, whose broadcast workflows bob may decide too.
      expect(pending.body).toEqual({ items: [started] });

      const approved = await request(b.url)
        .post(`/workflows/${started.id}/approve`)
        .set(bearer(token(bob)))
        .send({})
        .expect(201);
      const read = await request(a.url)
        .get(`/workflows/${started.id}`)
        .set(bearer(token(alice)))
        .expect(200);
      expect(read.body).toEqual(approved.body);
      const listed = await request(a.url)
        .get('/workflows?role=starter&status=approved')
        .set(bearer(token(alice)))
        .expect(200);
      expect(listed.body).toEqual({ items: [approved.body] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
