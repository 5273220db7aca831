import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import request from 'supertest';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { eventually, startApp, type TestApp } from '../support/app.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const service = token('svc', { roles: ['service'] });

describe('A client that stops reading (MAX_BUFFERED_BYTES)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ MAX_BUFFERED_BYTES: '65536', PUBLISH_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    closeAllClients();
    await t.close();
  });

  it('is dropped once its unsent data passes the limit, while the others get everything', async () => {
    const reader = await new StreamClient(t.url, token('reader'), { types: ['test.bulk'] }).ready();
    // A raw HTTP client that sends its request and then never reads a byte.
    const { port } = new URL(t.url);
    const stalled = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.write(
      `GET /notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token('stalled')}\r\n\r\n`,
    );
    stalled.pause();
    await eventually(() => t.streams.countFor('stalled') === 1, 'the stalled stream to open');

    // Broadcasts of about 10 KB each, until the stalled stream's buffers (the kernel's
    // socket buffers first, then the server's) hold more than the limit.
    const body = 'b'.repeat(9000);
    let sent = 0;
    while (t.streams.countFor('stalled') === 1 && sent < 2000) {
      await request(t.url)
        .post('/notifications')
        .set(bearer(service))
        .send({ recipients: '*', type: 'test.bulk', title: `n${sent}`, body })
        .expect(201);
      sent += 1;
    }
    expect(t.streams.countFor('stalled')).toBe(0);
    expect(sent).toBeLessThan(2000);
    const metrics = t.app.get(MetricsService);
    expect((await metrics.slowConsumersDropped.get()).values[0]?.value).toBe(1);

    await reader.waitForEvents(sent, `the reading client to get all ${sent}`);
    expect(reader.events).toHaveLength(sent);
    stalled.destroy();
  }, 60000);
});
