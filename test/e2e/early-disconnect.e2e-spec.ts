import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { StreamAdmission } from '../../src/limits/stream-admission.js';
import { NotificationStreamsService } from '../../src/notifications/notification-streams.service.js';
import { PresenceService } from '../../src/presence/presence.service.js';
import { TicketStore, type TicketGrant } from '../../src/tickets/ticket-store.js';
import { TimelineStreamsService } from '../../src/timelines/timeline-streams.service.js';
import { mintTicket, startWorkflow } from '../support/api.js';
import { eventually, sleep, startApp, type TestApp } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

/**
 * A client may leave while its stream request is still being authenticated: a browser
 * tab that closes, or one that stops leading its siblings, a few milliseconds after
 * opening. The route then runs for a response that is already gone, whose 'close' has
 * been emitted and for which Nest never subscribes. Such a stream must be cleaned up
 * like any other, not stay registered with no client.
 *
 * The window is made certain here: the ticket store holds every ticket redemption until
 * the client has gone (a slow store, as a Redis under load can be).
 */
/** A stream service: its `open` serves one stream request. */
interface StreamOpener {
  open(...args: never[]): unknown;
}

/** Resolves once the next call of `streams.open` has returned (and settled, when async). */
function nextOpen(streams: StreamOpener): Promise<void> {
  const open = streams.open;
  return new Promise((resolve) => {
    streams.open = (...args: never[]): unknown => {
      streams.open = open;
      const result = open.apply(streams, args);
      void Promise.resolve(result).finally(resolve);
      return result;
    };
  });
}

describe('A client that leaves before its stream is served', () => {
  let t: TestApp;
  const held: (() => void)[] = [];
  let redemptions = 0;

  beforeAll(async () => {
    t = await startApp();
    const store = t.app.get(TicketStore);
    const take = store.take.bind(store);
    store.take = (key: string): Promise<TicketGrant | null> => {
      redemptions++;
      return new Promise((resolve, reject) => {
        held.push(() => void take(key).then(resolve, reject));
      });
    };
  });
  afterEach(() => {
    for (const release of held.splice(0)) release();
  });
  afterAll(() => t.close());

  function connections(): Promise<number> {
    return new Promise((resolve, reject) =>
      t.app
        .getHttpServer()
        .getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  }

  /**
   * Opens `path` with a ticket, leaves while the ticket is being redeemed, then lets it
   * through, and returns once `streams.open` (the route's service) has run for it.
   */
  async function leaveDuringAuthentication(
    path: string,
    user: string,
    streams: StreamOpener,
  ): Promise<void> {
    const ticket = await mintTicket(t, token(user));
    const before = redemptions;
    const stream = new RawStream(`${t.url}${path}?ticket=${encodeURIComponent(ticket)}`);
    await eventually(() => redemptions > before, 'the ticket redemption to start');
    stream.close();
    // The server has seen the socket close before the guard lets the request through.
    let open = 1;
    while (open > 0) {
      open = await connections();
      await sleep(10);
    }
    const opened = nextOpen(streams);
    for (const release of held.splice(0)) release();
    await opened;
  }

  it('frees a notification stream: none left open', async () => {
    await leaveDuringAuthentication(
      '/notifications/stream',
      'ada',
      t.app.get(NotificationStreamsService),
    );
    await eventually(() => t.streams.size === 0, 'the stream to be removed', 2000);
    expect(t.app.get(StreamAdmission).counts).toEqual({ streams: 0, users: 0 });
    const metrics = await request(t.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^notification_hub_streams_open 0$/m);
  });

  it('frees a timeline stream', async () => {
    const { id } = await startWorkflow(t, 'ada', { name: 'Release', approvers: ['ben'] });
    const timelines = t.app.get(TimelineStreamsService);
    await leaveDuringAuthentication(`/workflows/${id}/stream`, 'ben', timelines);
    await eventually(() => timelines.size === 0, 'the timeline stream to be removed', 2000);
    expect(t.app.get(StreamAdmission).counts).toEqual({ streams: 0, users: 0 });
  });

  it('leaves no presence behind: the user is not in the next snapshot', async () => {
    const presence = t.app.get(PresenceService);
    await leaveDuringAuthentication('/documents/plan/presence/stream', 'ben', presence);
    await eventually(
      () => presence.counts.streams === 0 && presence.counts.users === 0,
      'the presence stream to be removed',
      2000,
    );
    expect(t.app.get(StreamAdmission).counts).toEqual({ streams: 0, users: 0 });
    // A move counts only while the user has a stream on the document.
    await request(t.url)
      .post('/documents/plan/presence')
      .set(bearer(token('ben')))
      .send({ x: 1, y: 2 })
      .expect(204);
    const watcher = new RawStream(`${t.url}/documents/plan/presence/stream`, bearer(token('cy')));
    try {
      const body = await watcher.waitForBody('event: snapshot');
      expect(body).toContain('"users":[]');
    } finally {
      watcher.close();
    }
  });
});
