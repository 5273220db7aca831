import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { StreamHub } from '../../src/streaming/stream-hub.js';
import { publish } from '../support/api.js';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { parseMetrics, valueOf, type Sample } from '../support/prometheus.js';
import { RawStream } from '../support/raw-stream.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const service = token('billing', { roles: ['service'] });

/** The service's own metrics, by name: each must be exposed from the start. */
const M = {
  open: 'notification_hub_streams_open',
  opened: 'notification_hub_streams_opened_total',
  closed: 'notification_hub_streams_closed_total',
  published: 'notification_hub_notifications_published_total',
  deliveries: 'notification_hub_deliveries_total',
  fed: 'notification_hub_feed_notifications_total',
  replayed: 'notification_hub_replayed_total',
  resets: 'notification_hub_resets_total',
  slow: 'notification_hub_slow_consumers_dropped_total',
  fanoutCount: 'notification_hub_fanout_seconds_count',
  storageErrors: 'notification_hub_storage_errors_total',
  openByKind: 'notification_hub_streams_open_by_kind',
};
/** A histogram: its samples are `_bucket`, `_sum` and `_count`, once a request was timed. */
const HTTP_SECONDS = 'notification_hub_http_request_duration_seconds';

async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await request(t.url).get('/metrics').set(headers).expect(200);
  return parseMetrics(response.text);
}

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    closeAllClients();
    await eventually(() => t.streams.size === 0, 'all streams to be removed');
  });
  afterAll(() => t.close());

  it('answers Prometheus text without a token: every service metric and the process metrics', async () => {
    const response = await request(t.url).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(response.text);
    const names = new Set(samples.map((sample) => sample.name));
    for (const name of Object.values(M)) expect(names).toContain(name);
    expect(names).toContain('notification_hub_fanout_seconds_bucket');
    // collectDefaultMetrics: CPU, memory, event loop.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(names).toContain(name);
    }
    expect(valueOf(samples, M.slow)).toBe(0);
  });

  it('uses no label Prometheus reserves for the scrape target (instance, job)', async () => {
    const { text } = await request(t.url).get('/metrics').expect(200);
    expect(text).not.toMatch(/[{,]\s*(instance|job)=/);
    expect(valueOf(parseMetrics(text), M.open)).toBe(0);
  });

  it('times HTTP requests by method, route template and status, never by raw path', async () => {
    const reader = token('histo-reader');
    await request(t.url).post('/notifications/987654/read').set(bearer(reader)).expect(404);
    await request(t.url).get('/no-such-route-31337').set(bearer(reader)).expect(404);
    await request(t.url).get('/notifications').set(bearer(reader)).expect(200);
    const samples = await scrape(t);
    const count = (labels: Record<string, string>) =>
      valueOf(samples, `${HTTP_SECONDS}_count`, labels);
    expect(count({ method: 'POST', route: '/notifications/:id/read', status: '404' })).toBe(1);
    expect(count({ method: 'GET', route: '/notifications', status: '200' })).toBeGreaterThanOrEqual(
      1,
    );
    const http = samples.filter((sample) => sample.name.startsWith(HTTP_SECONDS));
    expect(http.some((sample) => sample.name === `${HTTP_SECONDS}_bucket`)).toBe(true);
    for (const sample of http) {
      expect(
        Object.keys(sample.labels)
          .filter((l) => l !== 'le')
          .sort(),
      ).toEqual(['method', 'route', 'status']);
      expect(sample.labels.route).not.toMatch(/987654|31337/);
    }
  });

  it('counts open streams by kind: notifications, timeline, presence', async () => {
    const workflow = await request(t.url)
      .post('/workflows')
      .set(bearer(token('kind-starter')))
      .send({ name: 'Kinds', approvers: ['kind-approver'] })
      .expect(201);
    const id = (workflow.body as { id: string }).id;
    const before = await scrape(t);
    for (const kind of ['notifications', 'timeline', 'presence']) {
      expect(valueOf(before, M.openByKind, { kind })).toBe(0);
    }
    const notifications = await new StreamClient(t.url, token('kind-reader')).ready();
    const timeline = new RawStream(
      `${t.url}/workflows/${id}/stream`,
      bearer(token('kind-starter')),
    );
    const presence = new RawStream(
      `${t.url}/documents/kinds/presence/stream`,
      bearer(token('kind-approver')),
    );
    await timeline.waitForBody('event: workflow.started');
    await presence.waitForBody('event: snapshot');
    const during = await scrape(t);
    for (const kind of ['notifications', 'timeline', 'presence']) {
      expect({ kind, open: valueOf(during, M.openByKind, { kind }) }).toEqual({ kind, open: 1 });
    }
    notifications.close();
    timeline.close();
    presence.close();
    await eventually(() => t.app.get(StreamHub).size === 0, 'every stream to leave');
    const after = await scrape(t);
    for (const kind of ['notifications', 'timeline', 'presence']) {
      expect(valueOf(after, M.openByKind, { kind })).toBe(0);
    }
  });

  it('moves the open-streams gauge and the opened and closed counters with the streams', async () => {
    const before = await scrape(t);
    const a = await new StreamClient(t.url, token('gauge-a')).ready();
    const b = await new StreamClient(t.url, token('gauge-b')).ready();
    const during = await scrape(t);
    expect(valueOf(during, M.open) - valueOf(before, M.open)).toBe(2);
    expect(valueOf(during, M.opened) - valueOf(before, M.opened)).toBe(2);
    expect(valueOf(during, M.closed)).toBe(valueOf(before, M.closed));

    a.close();
    b.close();
    await eventually(() => t.streams.size === 0, 'the server to see both streams close');
    const after = await scrape(t);
    expect(valueOf(after, M.open)).toBe(valueOf(before, M.open));
    expect(valueOf(after, M.closed) - valueOf(before, M.closed)).toBe(2);
  });

  it('counts publishes by type (client-chosen types as "other"), deliveries and fan-out', async () => {
    const custom = 'invoice.paid-7f3';
    const tab = () => new StreamClient(t.url, token('flow-bob'), { types: [custom] }).ready();
    const tabs = [await tab(), await tab()];
    const before = await scrape(t);
    await request(t.url)
      .post('/messages')
      .set(bearer(token('flow-alice')))
      .send({ text: 'hi', to: ['flow-bob'] })
      .expect(201);
    await publish(t, ['flow-bob'], `a ${custom}`, { by: service, type: custom });
    await Promise.all(tabs.map((tab) => tab.waitForEvents(2)));
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);

    expect(delta(M.published, { type: 'message.created' })).toBe(1);
    expect(delta(M.published, { type: 'other' })).toBe(1);
    expect(after.some((sample) => sample.labels.type === custom)).toBe(false);
    expect(delta(M.deliveries)).toBe(4); // two notifications, two tabs each
    expect(delta(M.fanoutCount)).toBe(2);
    expect(valueOf(after, 'notification_hub_fanout_seconds_sum')).toBeGreaterThan(0);
  });

  it('counts replayed notifications and resets', async () => {
    const sent = [];
    for (let i = 0; i < 3; i++) {
      const [notification] = await publish(t, ['replayer'], 'a test.ping', { by: service });
      sent.push(notification.id);
    }
    const before = await scrape(t);
    const resumed = await new StreamClient(t.url, token('replayer'), {
      lastEventId: sent[0],
    }).ready();
    expect((await resumed.waitForEvents(2)).map((event) => event.lastEventId)).toEqual(
      sent.slice(1),
    );
    const reset = await new StreamClient(t.url, token('replayer'), {
      lastEventId: 'not-a-cursor',
    }).ready();
    await eventually(() => reset.controls.some((event) => event.type === 'reset'), 'a reset');
    const after = await scrape(t);
    expect(valueOf(after, M.replayed) - valueOf(before, M.replayed)).toBe(2);
    expect(valueOf(after, M.resets) - valueOf(before, M.resets)).toBe(1);
  });

  it('never carries a user id, whoever streams and publishes', async () => {
    const reader = await new StreamClient(t.url, token('zq81x-reader')).ready();
    await request(t.url)
      .post('/messages')
      .set(bearer(token('zq81x-writer')))
      .send({ text: 'secret', to: ['zq81x-reader'] })
      .expect(201);
    await publish(t, ['zq81x-reader'], 'a test.ping', {
      by: token('zq81x-service', { roles: ['service'] }),
    });
    await reader.waitForEvents(2);
    const { text } = await request(t.url).get('/metrics').expect(200);
    expect(text).toContain(M.deliveries); // a real scrape, while the stream is open
    expect(text).not.toMatch(/zq81x/);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ METRICS_TOKEN: 'scrape-me-3141' });
  });
  afterAll(() => t.close());

  it('answers 401 without the token, with another one, or with a user JWT', async () => {
    const missing = await request(t.url).get('/metrics').expect(401);
    expect(missing.body).toMatchObject({ statusCode: 401, message: expect.any(String) });
    expect(missing.text).not.toContain(M.open);
    await request(t.url).get('/metrics').set(bearer('scrape-me-314')).expect(401);
    await request(t.url)
      .get('/metrics')
      .set(bearer(token('admin-1', { roles: ['admin'] })))
      .expect(401);
    await request(t.url).get('/metrics?access_token=scrape-me-3141').expect(401);
  });

  it('answers 200 with Authorization: Bearer <METRICS_TOKEN>', async () => {
    const samples = await scrape(t, bearer('scrape-me-3141'));
    expect(valueOf(samples, M.open)).toBe(0);
  });

  it('leaves the health checks public', async () => {
    await request(t.url).get('/health').expect(200);
    await request(t.url).get('/health/ready').expect(200);
  });
});

describe('GET /health and /health/ready', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(() => t.close());

  it('answers 200 for liveness and readiness, reporting the backend', async () => {
    const live = await request(t.url).get('/health').expect(200);
    expect(live.body).toMatchObject({ status: 'ok' });
    const ready = await request(t.url).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { storage: { status: 'up', backend: 'sqlite' } },
    });
  });

  it('answers 503 for readiness (not liveness) when the store fails, and counts the errors', async () => {
    t.app.get(SqliteDatabase).db.close();
    const ready = await request(t.url).get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      status: 'error',
      error: { storage: { status: 'down', backend: 'sqlite' } },
    });
    await request(t.url).get('/health').expect(200);

    await request(t.url)
      .post('/notifications')
      .set(bearer(service))
      .send({ recipients: ['someone'], type: 'test.ping', title: 'lost?' })
      .expect(503);
    const samples = await scrape(t);
    expect(valueOf(samples, M.storageErrors, { backend: 'sqlite', operation: 'append' })).toBe(1);
  });
});

interface OpenApiOperation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
  description?: string;
  'x-sse-events'?: { event: string; hasId: boolean; data: { $ref: string } }[];
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }>;
  };
  security: Record<string, string[]>[];
}

/** Every route the Express app serves, as "METHOD /path/{param}", the docs' own left out. */
function expressRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  const routes = new Set<string>();
  for (const layer of express.router.stack) {
    if (!layer.route || layer.route.path.startsWith('/docs')) continue;
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    for (const method of Object.keys(layer.route.methods)) {
      if (method !== '_all') routes.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return [...routes].sort();
}

describe('GET /docs and /docs-json', () => {
  let t: TestApp;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    t = await startApp();
    doc = (await request(t.url).get('/docs-json').expect(200)).body as OpenApiDocument;
  });
  afterAll(() => t.close());

  it('documents every route the app serves', () => {
    const routes = expressRoutes(t);
    // The router was really read: the routes of every part of the service are there.
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /notifications/stream',
        'GET /notifications',
        'POST /notifications',
        'POST /notifications/{id}/read',
        'POST /messages',
        'POST /workflows/{id}/approve',
        'POST /announcements',
        'GET /health',
        'GET /health/ready',
        'GET /metrics',
      ]),
    );
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('serves the Swagger UI without a token, with every script and stylesheet it loads', async () => {
    const page = await request(t.url).get('/docs').redirects(1).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      await request(t.url)
        .get(new URL(asset, `${t.url}/docs`).pathname)
        .expect(200);
    }
  });

  it('describes the token in a header, the query and a cookie, and marks public routes', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.access_token_query).toMatchObject({
      type: 'apiKey',
      in: 'query',
      name: 'access_token',
    });
    expect(schemes.access_token_cookie).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'access_token',
    });
    expect(doc.security).toEqual([
      { bearer: [] },
      { access_token_query: [] },
      { access_token_cookie: [] },
    ]);
    // Public: an empty requirement; protected: the document's default (no override).
    expect(doc.paths['/health'].get.security).toEqual([{}]);
    expect(doc.paths['/health/ready'].get.security).toEqual([{}]);
    expect(doc.paths['/metrics'].get.security).toEqual(
      expect.arrayContaining([{}, { metrics_token: [] }]),
    );
    expect(doc.paths['/messages'].post.security).toBeUndefined();
    expect(doc.paths['/notifications/stream'].get.security).toBeUndefined();
  });

  it('describes the request bodies from the DTOs, with their required fields', () => {
    const bodyRef = (path: string) =>
      doc.paths[path].post.requestBody?.content['application/json'].schema.$ref;
    expect(bodyRef('/notifications')).toBe('#/components/schemas/PublishNotificationDto');
    expect(bodyRef('/messages')).toBe('#/components/schemas/CreateMessageDto');
    expect(bodyRef('/announcements')).toBe('#/components/schemas/CreateAnnouncementDto');
    expect(bodyRef('/workflows')).toBe('#/components/schemas/StartWorkflowDto');
    expect(bodyRef('/workflows/{id}/approve')).toBe('#/components/schemas/DecideWorkflowDto');
    const { schemas } = doc.components;
    expect(Object.keys(schemas.PublishNotificationDto.properties ?? {}).sort()).toEqual([
      'body',
      'data',
      'recipients',
      'title',
      'type',
    ]);
    expect(schemas.PublishNotificationDto.required?.sort()).toEqual([
      'recipients',
      'title',
      'type',
    ]);
    expect(schemas.CreateMessageDto.required).toEqual(['text']);
    expect(schemas.StartWorkflowDto.required).toEqual(['name']);
    expect(schemas.CreateAnnouncementDto.required?.sort()).toEqual(['body', 'title']);
    const inboxParams = doc.paths['/notifications'].get.parameters?.map((p) => p.name);
    expect(inboxParams).toEqual(expect.arrayContaining(['unread', 'before', 'limit']));
  });

  it('describes the notification stream: text/event-stream, its events and the notification schema', () => {
    const stream = doc.paths['/notifications/stream'].get;
    expect(Object.keys(stream.responses['200'].content ?? {})).toEqual(['text/event-stream']);
    for (const event of ['unread-count', 'reset', 'token-expiring', 'message.created']) {
      expect(stream.description).toContain(event);
    }
    const events = stream['x-sse-events'] ?? [];
    expect(events.find((e) => e.hasId)?.data.$ref).toBe('#/components/schemas/NotificationDto');
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['unread-count', 'reset', 'token-expiring']),
    );
    for (const { data } of events) {
      expect(doc.components.schemas[data.$ref.split('/').pop()!]).toBeDefined();
    }
    expect(Object.keys(doc.components.schemas.NotificationDto.properties ?? {}).sort()).toEqual([
      'actorId',
      'body',
      'createdAt',
      'data',
      'id',
      'recipient',
      'title',
      'type',
    ]);
    const params = (stream.parameters ?? []).map((p) => `${p.in}:${p.name.toLowerCase()}`);
    expect(params.sort()).toEqual(['header:last-event-id', 'query:lasteventid', 'query:ticket']);
    const header = stream.parameters?.find((p) => p.in === 'header');
    expect(header?.required).toBe(false);
  });
});
