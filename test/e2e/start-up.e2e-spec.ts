import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { Instance } from '../support/instance.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer } from '../support/tokens.js';

/**
 * The README's commands on the built artifact (`npm test` builds first):
 * `node dist/main.js` with no configuration, and the dev token script.
 */
describe('dist/main.js', () => {
  let instance: Instance | null = null;

  const mint = (...args: string[]) =>
    execFileSync(process.execPath, ['dist/cli/mint-token.js', ...args], {
      env: { PATH: process.env.PATH ?? '' },
    })
      .toString()
      .trim();

  afterEach(async () => {
    await instance?.stop('SIGKILL');
    instance = null;
  });

  it('runs with no configuration, says how to get a token, and serves a dev token', async () => {
    instance = await Instance.start();
    expect(instance.output).toMatch(/JWT_SECRET is not set/);
    expect(instance.output).toContain('npm run -s token -- alice --roles admin');
    await request(instance.url).get('/health').expect(200);
    const ready = await request(instance.url).get('/health/ready').expect(200);
    // Terminus's shape: the storage indicator reports which backend it checked.
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { storage: { status: 'up', backend: 'sqlite' } },
    });

    const stream = new RawStream(`${instance.url}/notifications/stream`, bearer(mint('bob')));
    await stream.waitForBody('retry: 3000');
    await request(instance.url)
      .post('/announcements')
      .set(bearer(mint('alice', '--roles', 'admin')))
      .send({ title: 'Hello', body: 'from the README' })
      .expect(201);
    await stream.waitForBody('from the README');
    stream.close();
  });

  it('ends open streams and exits 0 within 10 s on SIGTERM', async () => {
    instance = await Instance.start();
    const stream = new RawStream(`${instance.url}/notifications/stream`, bearer(mint('carol')));
    await stream.waitForBody('retry:');
    const signalledAt = Date.now();
    expect(await instance.stop('SIGTERM')).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    await stream.waitForEnd();
  });

  it('refuses to start in production without a key, saying why', async () => {
    await expect(Instance.start({ NODE_ENV: 'production' })).rejects.toThrow(
      /exited with code 1:[\s\S]*JWT_SECRET \(or JWT_PUBLIC_KEY\) is required/,
    );
  });

  it('refuses WORKERS > 1 without REDIS_URL, saying why', async () => {
    await expect(Instance.start({ WORKERS: '2' })).rejects.toThrow(
      /exited with code 1:[\s\S]*WORKERS > 1 needs REDIS_URL/,
    );
  });
});
