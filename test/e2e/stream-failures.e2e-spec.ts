import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { sleep } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';

/**
 * The built service as its own process, so that an exception that escapes a stream's
 * timer shows as what it would be in production: the process gone, with every stream.
 */
describe("A failure in one stream's timers", () => {
  let instance: Instance | null = null;
  const streams: RawStream[] = [];

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await instance?.stop('SIGKILL');
    instance = null;
  });

  it('never ends the process: the other streams go on', async () => {
    instance = await Instance.start();
    const alice = new RawStream(`${instance.url}/notifications/stream`, bearer(token('alice')));
    streams.push(alice);
    await alice.waitForBody('event: unread-count');

    // Validly signed, with an `exp` past what a Date holds: its expiry timers once threw
    // a RangeError out of a timer. Refused (401) or opened and closed, either way it
    // must not take the process down.
    const farFuture = 8640000000001 - Math.floor(Date.now() / 1000);
    const mallory = new RawStream(
      `${instance.url}/notifications/stream`,
      bearer(token('mallory', { ttl: farFuture })),
    );
    streams.push(mallory);
    await mallory.headersReceived();
    await sleep(300);

    expect(instance.exitCode).toBeNull();
    expect(alice.ended).toBe(false);
    await request(instance.url)
      .post('/notifications')
      .set(bearer(token('svc', { roles: ['service'] })))
      .send({ recipients: ['alice'], type: 'test.ping', title: 'still here' })
      .expect(201);
    await alice.waitForBody('still here');
  }, 30000);
});
