import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TimelineStore } from '../../src/storage/timeline-store.js';
import { TimelineStreamsService } from '../../src/timelines/timeline-streams.service.js';
import type { Workflow } from '../../src/workflows/workflow.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const TIMELINE_TYPES = [
  'workflow.started',
  'workflow.approved',
  'workflow.rejected',
  'workflow.cancelled',
  'log',
  'end',
];
const alice = token('alice');
const bob = token('bob');
const service = token('ci-bot', { roles: ['service'] });

describe('Workflow timelines', () => {
  let t: TestApp;
  const raws: RawStream[] = [];

  beforeAll(async () => {
    t = await startApp({ HEARTBEAT_MS: '60000', PUBLISH_RATE_LIMIT: '100000' });
  });
  afterEach(async () => {
    closeAllClients();
    raws.splice(0).forEach((raw) => raw.close());
    await eventually(
      () => t.app.get(TimelineStreamsService).size === 0,
      'timeline streams to close',
    );
  });
  afterAll(() => t.close());

  const start = async (approvers: string[] | null = ['bob']) =>
    (
      await request(t.url)
        .post('/workflows')
        .set(bearer(alice))
        .send({ name: 'Release 1.2', ...(approvers ? { approvers } : {}) })
        .expect(201)
    ).body as Workflow;
  const logs = (id: string, lines: string[], by = service) =>
    request(t.url).post(`/workflows/${id}/logs`).set(bearer(by)).send({ lines });
  const watch = (id: string, jwt = bob, lastEventId?: string) =>
    new StreamClient(t.url, jwt, {
      path: `/workflows/${id}/stream`,
      types: TIMELINE_TYPES,
      ...(lastEventId ? { lastEventId } : {}),
    }).ready();
  const rawWatch = (id: string, jwt = bob, path = '', headers: Record<string, string> = {}) => {
    const stream = new RawStream(`${t.url}/workflows/${id}/stream${path}`, {
      ...bearer(jwt),
      ...headers,
    });
    raws.push(stream);
    return stream;
  };
  /** Each event's first two lines, comments and `retry:` left out. */
  const summaries = (stream: RawStream) =>
    stream.blocks
      .filter((block) => !block.startsWith(':') && !block.startsWith('retry'))
      .map((block) => block.split('\n').slice(0, 2).join(' | '));

  it('replays the timeline from the start, goes live, then sends end and closes once decided', async () => {
    const workflow = await start();
    await logs(workflow.id, ['building', 'testing']).expect(201, { count: 2 });
    const stream = rawWatch(workflow.id);
    await stream.waitForBody('testing');
    await logs(workflow.id, ['deploying'], alice).expect(201, { count: 1 });
    await stream.waitForBody('deploying');
    await request(t.url)
      .post(`/workflows/${workflow.id}/approve`)
      .set(bearer(bob))
      .send({ comment: 'ship it' })
      .expect(201);
    await stream.waitForEnd();
    const events = stream.blocks.filter(
      (block) => !block.startsWith(':') && !block.startsWith('retry'),
    );
    expect(events.map((block) => block.split('\n').slice(0, 2).join(' | '))).toEqual([
      'id: 1 | event: workflow.started',
      'id: 2 | event: log',
      'id: 3 | event: log',
      'id: 4 | event: log',
      'id: 5 | event: workflow.approved',
      `event: end | data: {"workflowId":"${workflow.id}","status":"approved"}`,
    ]);
    const log = JSON.parse(events[1].split('\n')[2].slice('data: '.length)) as {
      line: string;
      at: string;
    };
    expect(log).toEqual({ line: 'building', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const approved = JSON.parse(events[4].split('\n')[2].slice('data: '.length)) as Record<
      string,
      unknown
    >;
    expect(approved).toMatchObject({ workflowId: workflow.id, actorId: 'bob', comment: 'ship it' });
  });

  it('replays a finished workflow and ends at once', async () => {
    const workflow = await start();
    await logs(workflow.id, ['only line']).expect(201);
    await request(t.url)
      .post(`/workflows/${workflow.id}/cancel`)
      .set(bearer(alice))
      .send({})
      .expect(201);
    const stream = rawWatch(workflow.id, alice);
    await stream.waitForEnd();
    expect(stream.body).toContain('event: workflow.cancelled');
    expect(stream.blocks.at(-1)).toBe(
      `event: end\ndata: {"workflowId":"${workflow.id}","status":"cancelled"}`,
    );
  });

  it('resumes after Last-Event-ID', async () => {
    const workflow = await start();
    await logs(workflow.id, ['a', 'b', 'c']).expect(201);
    const client = await watch(workflow.id, bob, '2');
    await client.waitForEvents(2);
    expect(client.cursors).toEqual(['3', '4']);
    expect(client.payloads<{ line: string }>('log').map((l) => l.line)).toEqual(['b', 'c']);
  });

  it.each([
    ['a malformed Last-Event-ID', '', { 'Last-Event-ID': 'abc' }],
    ['a lastEventId beyond the last event', '?lastEventId=50', {}],
  ])(
    'answers %s with reset, then the whole timeline, then live events and end',
    async (_, path, headers) => {
      const workflow = await start();
      await logs(workflow.id, ['building', 'testing']).expect(201);
      const stream = rawWatch(workflow.id, bob, path, headers);
      await stream.waitForBody('testing');
      await logs(workflow.id, ['deploying']).expect(201);
      await stream.waitForBody('deploying');
      await request(t.url)
        .post(`/workflows/${workflow.id}/approve`)
        .set(bearer(bob))
        .send({})
        .expect(201);
      await stream.waitForEnd();
      const reset = summaries(stream)[0];
      expect(reset).toMatch(/^event: reset \| data: /);
      expect(JSON.parse(reset.slice(reset.indexOf('{')))).toEqual({
        reason: expect.stringMatching(/Last-Event-ID/),
        latestId: '3',
      });
      expect(summaries(stream).slice(1)).toEqual([
        'id: 1 | event: workflow.started',
        'id: 2 | event: log',
        'id: 3 | event: log',
        'id: 4 | event: log',
        'id: 5 | event: workflow.approved',
        `event: end | data: {"workflowId":"${workflow.id}","status":"approved"}`,
      ]);
    },
  );

  it('never ends a stream before the event that finished the workflow, even while it is being recorded', async () => {
    const workflow = await start();
    // The workflow's status is written first, then its timeline records the approval:
    // hold that record, and open a stream in between.
    const store = t.app.get(TimelineStore);
    const append = store.append.bind(store);
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    store.append = async (id, drafts) => {
      if (drafts.some((draft) => draft.type === 'workflow.approved')) {
        holding = true;
        await held;
      }
      return append(id, drafts);
    };
    try {
      const approving = request(t.url)
        .post(`/workflows/${workflow.id}/approve`)
        .set(bearer(bob))
        .send({})
        .then((res) => res.status);
      await eventually(() => holding, 'the approval to be recorded');
      const stream = rawWatch(workflow.id, alice);
      await stream.waitForBody('event: workflow.started');
      await sleep(200);
      release();
      expect(await approving).toBe(201);
      await stream.waitForEnd();
      expect(summaries(stream)).toEqual([
        'id: 1 | event: workflow.started',
        'id: 2 | event: workflow.approved',
        `event: end | data: {"workflowId":"${workflow.id}","status":"approved"}`,
      ]);
    } finally {
      store.append = append;
      release();
    }
  });

  it('ends at once the stream of a finished workflow, and after a moment one resumed after its end', async () => {
    const workflow = await start();
    await request(t.url)
      .post(`/workflows/${workflow.id}/cancel`)
      .set(bearer(alice))
      .send({})
      .expect(201);
    const fresh = rawWatch(workflow.id, alice);
    await fresh.waitForEnd(500);
    expect(summaries(fresh)).toEqual([
      'id: 1 | event: workflow.started',
      'id: 2 | event: workflow.cancelled',
      `event: end | data: {"workflowId":"${workflow.id}","status":"cancelled"}`,
    ]);
    const resumed = rawWatch(workflow.id, alice, '', { 'Last-Event-ID': '2' });
    await resumed.waitForEnd(3000);
    expect(summaries(resumed)).toEqual([
      `event: end | data: {"workflowId":"${workflow.id}","status":"cancelled"}`,
    ]);
  });

  it('keeps 1,000 log lines of one request in order', async () => {
    const workflow = await start();
    const client = await watch(workflow.id);
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    await logs(workflow.id, lines).expect(201, { count: 1000 });
    await client.waitForEvents(1001);
    expect(client.payloads<{ line: string }>('log').map((l) => l.line)).toEqual(lines);
    expect(client.cursors).toEqual(Array.from({ length: 1001 }, (_, i) => String(i + 1)));
  });

  it('answers 404 to anyone but the starter and the approvers, so ids cannot be probed', async () => {
    const workflow = await start(['bob']);
    for (const path of [`/workflows/${workflow.id}/stream`, '/workflows/no-such-workflow/stream']) {
      const res = await fetch(`${t.url}${path}`, { headers: bearer(token('carol')) });
      expect(res.status).toBe(404);
    }
    await logs(workflow.id, ['x'], token('carol')).expect(404);
    expect((await fetch(`${t.url}/workflows/${workflow.id}/stream`)).status).toBe(401);
  });

  it('lets every user watch a workflow that any user may decide', async () => {
    const workflow = await start(null);
    const client = await watch(workflow.id, token('dora'));
    await client.waitForEvents(1);
    expect(client.events[0].type).toBe('workflow.started');
  });

  it('takes logs from the starter and services only, and only while the workflow runs', async () => {
    const workflow = await start();
    await logs(workflow.id, ['from an approver'], bob).expect(403);
    await logs(workflow.id, ['from the starter'], alice).expect(201);
    await request(t.url)
      .post(`/workflows/${workflow.id}/reject`)
      .set(bearer(bob))
      .send({})
      .expect(201);
    await logs(workflow.id, ['too late']).expect(409);
  });

  it.each([
    ['no lines', { lines: [] }, /lines/],
    ['lines not an array', { lines: 'x' }, /lines/],
    ['a line that is not a string', { lines: [5] }, /lines/],
    ['1,001 lines', { lines: Array.from({ length: 1001 }, () => 'x') }, /lines/],
    ['a line over 4 KiB', { lines: ['é'.repeat(2049)] }, /4096 bytes/],
    ['an unknown field', { lines: ['x'], level: 'info' }, /property level should not exist/],
  ])('refuses %s with 400, appending nothing', async (_, body, message) => {
    const workflow = await start();
    const res = await request(t.url)
      .post(`/workflows/${workflow.id}/logs`)
      .set(bearer(service))
      .send(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(message);
    const client = await watch(workflow.id);
    await client.waitForEvents(1);
    await sleep(100);
    expect(client.events.map((e) => e.type)).toEqual(['workflow.started']);
  });

  it('answers 429 beyond MAX_STREAMS_PER_USER timeline streams of one user', async () => {
    const limited = await startApp({ MAX_STREAMS_PER_USER: '2' });
    try {
      const created = await request(limited.url)
        .post('/workflows')
        .set(bearer(alice))
        .send({ name: 'Limited', approvers: ['bob'] })
        .expect(201);
      const id = (created.body as Workflow).id;
      const open = () =>
        new StreamClient(limited.url, bob, {
          path: `/workflows/${id}/stream`,
          types: TIMELINE_TYPES,
        });
      await Promise.all([open().ready(), open().ready()]);
      const res = await fetch(`${limited.url}/workflows/${id}/stream`, { headers: bearer(bob) });
      expect(res.status).toBe(429);
    } finally {
      closeAllClients();
      await limited.close();
    }
  });
});
