import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { BUILT_IN_NOTIFICATION_TYPES } from '../../src/notifications/notification.js';
import { startApp, type TestApp } from '../support/app.js';
import { validateAsyncApi } from '../support/asyncapi.js';

type Schema = Record<string, unknown> & {
  $ref?: string;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
};
interface OpenApi {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
  >;
  components: { schemas: Record<string, Schema> };
}
interface AsyncApiMessage {
  name: string;
  payload: Schema;
  headers?: Schema;
}
interface AsyncApi {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, AsyncApiMessage> }>;
  operations: Record<
    string,
    { action: string; channel: { $ref: string }; messages: { $ref: string }[] }
  >;
  components: { schemas: Record<string, Schema> };
}

/** Every event each stream can send (CONTRACT.md), and whether it carries `id:`. */
const STREAMS: Record<string, Record<string, boolean>> = {
  '/notifications/stream': {
    ...Object.fromEntries(BUILT_IN_NOTIFICATION_TYPES.map((type) => [type, true])),
    types: false,
    preferences: false,
    'unread-count': false,
    reset: false,
    'token-expiring': false,
  },
  '/workflows/{id}/stream': {
    'workflow.started': true,
    'workflow.approved': true,
    'workflow.rejected': true,
    'workflow.cancelled': true,
    log: true,
    reset: false,
    end: false,
    'token-expiring': false,
  },
  '/documents/{id}/presence/stream': {
    snapshot: false,
    join: false,
    move: false,
    leave: false,
    'token-expiring': false,
  },
};

const schemaName = (ref: string | undefined) => ref?.replace('#/components/schemas/', '') ?? '';

/** Every route the Express app serves, as "METHOD /path/{param}". */
function expressRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  return express.router.stack.flatMap(({ route }) =>
    route
      ? Object.keys(route.methods)
          .filter((method) => method !== '_all')
          .map((method) => `${method.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
      : [],
  );
}

describe('The API documents', () => {
  let t: TestApp;
  let openapi: OpenApi;
  let asyncapiText: string;
  let asyncapi: AsyncApi;

  beforeAll(async () => {
    t = await startApp();
    openapi = (await request(t.url).get('/docs-json').expect(200)).body as OpenApi;
    const answer = await request(t.url).get('/docs/asyncapi.json').expect(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    asyncapiText = answer.text;
    asyncapi = JSON.parse(asyncapiText) as AsyncApi;
  });
  afterAll(() => t.close());

  describe('GET /docs-json', () => {
    it('knows exactly the stream routes the app serves', () => {
      const streams = expressRoutes(t).filter((route) => route.endsWith('/stream'));
      expect(streams.sort()).toEqual(
        Object.keys(STREAMS)
          .map((path) => `GET ${path}`)
          .sort(),
      );
    });

    it.each(Object.entries(STREAMS))(
      "describes %s's 200 as text/event-stream with a schema for every event it sends",
      (path, events) => {
        const content = openapi.paths[path].get.responses['200'].content ?? {};
        expect(Object.keys(content)).toEqual(['text/event-stream']);
        const items = content['text/event-stream'].schema.anyOf ?? [];
        const named = new Map(
          items
            .filter((item) => item.properties?.event.enum)
            .map((item) => [item.properties!.event.enum![0] as string, item]),
        );
        expect([...named.keys()].sort()).toEqual(Object.keys(events).sort());
        for (const [event, hasId] of Object.entries(events)) {
          const item = named.get(event)!;
          expect(item.required).toEqual(hasId ? ['id', 'event', 'data'] : ['event', 'data']);
          expect(Boolean(item.properties?.id)).toBe(hasId);
          const data = openapi.components.schemas[schemaName(item.properties?.data.$ref)];
          expect(Object.keys(data?.properties ?? {}).length).toBeGreaterThan(0);
        }
      },
    );

    it('describes notifications of types other services invent, with their id', () => {
      const items =
        openapi.paths['/notifications/stream'].get.responses['200'].content?.['text/event-stream']
          .schema.anyOf ?? [];
      const other = items.find((item) => item.properties?.event.pattern);
      expect(new RegExp(other?.properties?.event.pattern ?? '^$').test('invoice.paid')).toBe(true);
      expect(other?.required).toEqual(['id', 'event', 'data']);
      expect(other?.properties?.data.$ref).toBe('#/components/schemas/NotificationDto');
    });

    it('is OpenAPI 3.1: null is a JSON Schema type, not nullable', () => {
      expect(openapi.openapi).toBe('3.1.0');
      expect(JSON.stringify(openapi)).not.toContain('"nullable"');
      expect(openapi.components.schemas.ResetEventDto.properties?.latestId.type).toEqual([
        'string',
        'null',
      ]);
    });
  });

  describe('GET /docs/asyncapi.json', () => {
    it('is a valid AsyncAPI 3 document: no error from @asyncapi/parser', async () => {
      expect(asyncapi.asyncapi).toMatch(/^3\./);
      const diagnostics = await validateAsyncApi(asyncapiText);
      expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    }, 30000);

    it('needs no token', async () => {
      await request(t.url).get('/docs/asyncapi.json').expect(200);
    });

    it.each(Object.entries(STREAMS))(
      'has a channel for %s with a message for every event, and an operation sending them',
      (path, events) => {
        const [key, channel] = Object.entries(asyncapi.channels).find(
          ([, c]) => c.address === path,
        )!;
        const messages = Object.values(channel.messages);
        const names = messages.map((m) => m.name).filter((name) => name !== 'notification');
        expect(names.sort()).toEqual(Object.keys(events).sort());
        for (const message of messages) {
          const hasId = events[message.name] ?? true;
          expect(message.headers?.required ?? []).toEqual(hasId ? ['id'] : []);
          expect(asyncapi.components.schemas[schemaName(message.payload.$ref)]).toBeDefined();
        }
        const operation = Object.values(asyncapi.operations).find(
          (o) => o.channel.$ref === `#/channels/${key}`,
        );
        expect(operation?.action).toBe('send');
        expect(operation?.messages).toHaveLength(messages.length);
      },
    );

    it.each([
      ['/notifications/stream', 'message.created', 'NotificationDto'],
      ['/notifications/stream', 'notification', 'NotificationDto'],
      ['/notifications/stream', 'unread-count', 'UnreadCountDto'],
      ['/notifications/stream', 'types', 'NotificationTypesDto'],
      ['/workflows/{id}/stream', 'log', 'LogLineEventDto'],
      ['/documents/{id}/presence/stream', 'snapshot', 'PresenceSnapshotEventDto'],
    ])("gives %s's %s the very payload schema of the OpenAPI document", (path, event, name) => {
      const channel = Object.values(asyncapi.channels).find((c) => c.address === path)!;
      const message = Object.values(channel.messages).find((m) => m.name === event)!;
      expect(message.payload).toEqual({ $ref: `#/components/schemas/${name}` });
      expect(asyncapi.components.schemas[name]).toEqual(openapi.components.schemas[name]);
      expect(Object.keys(openapi.components.schemas[name].properties ?? {}).length).toBeGreaterThan(
        0,
      );
    });

    it('holds every schema its payloads reference, nested ones included', () => {
      const refs = [...asyncapiText.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map(
        (m) => m[1],
      );
      expect(refs).toContain('PresenceMoveEventDto');
      for (const ref of refs) expect(asyncapi.components.schemas[ref]).toBeDefined();
    });
  });

  describe('docs/API.md', () => {
    const reference = readFileSync('docs/API.md', 'utf8');

    it('mentions every route the app registers', () => {
      const routes = [
        ...Object.entries(openapi.paths).flatMap(([path, operations]) =>
          Object.keys(operations).map(
            (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
          ),
        ),
        'GET /docs',
        'GET /docs-json',
        'GET /docs/asyncapi.json',
      ];
      expect(routes.length).toBeGreaterThan(20);
      expect(routes.filter((route) => !reference.includes(route))).toEqual([]);
    });

    it('names every event of every stream', () => {
      const events = Object.values(STREAMS).flatMap((e) => Object.keys(e));
      expect(events.filter((event) => !reference.includes(`\`${event}\``))).toEqual([]);
    });

    it('documents every environment variable src/config.ts reads', () => {
      const source = readFileSync('src/config.ts', 'utf8');
      const names = new Set(
        [...source.matchAll(/\(env, '([A-Z_]+)'|env\.([A-Z_]+)/g)].map((m) => m[1] ?? m[2]),
      );
      expect(names.size).toBeGreaterThan(20);
      expect([...names].filter((name) => !reference.includes(`\`${name}\``))).toEqual([]);
    });
  });
});
