import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { splitCursor } from '../../src/cursor.js';
import { publish } from '../support/api.js';
import { Instance } from '../support/instance.js';
import { parseMetrics, valueOf } from '../support/prometheus.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, openStreams } from '../support/sse-client.js';
import { token } from '../support/tokens.js';

/**
 * On Redis, concurrent publishes reach Redis as pipelines (several append scripts in one
 * write and round trip), and each is still answered 201 only with its stored notification;
 * a stream gets them all, in cursor order.
 */
describeWithRedis('Concurrent publishes on Redis, pipelined', () => {
  let redis: RedisServer;
  let service: Instance;

  beforeAll(async () => {
    redis = await RedisServer.start();
    service = await Instance.start({ REDIS_URL: redis.url });
  }, 30000);
  afterAll(async () => {
    closeAllClients();
    await service?.stop();
    await redis?.stop();
  });

  it('sends 64 concurrent appends in fewer pipelines; all stored, streamed in cursor order', async () => {
    const [stream] = await openStreams(service.url, token('pipe-user'));
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) => publish(service, ['pipe-user'], `pipe-${i}`)),
    );
    const ids = answers.map(([stored]) => stored.id);
    expect(new Set(ids).size).toBe(64);

    const metrics = parseMetrics(await (await fetch(`${service.url}/metrics`)).text());
    expect(valueOf(metrics, 'notification_hub_store_appends_per_commit_sum')).toBe(64);
    expect(valueOf(metrics, 'notification_hub_store_appends_per_commit_count')).toBeLessThan(64);

    await stream.waitForEvents(64);
    const cursors = stream.cursors;
    expect([...cursors].sort()).toEqual([...ids].sort());
    const sequences = cursors.map((cursor) => Number(splitCursor(cursor)?.sequence));
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
  }, 30000);
});
