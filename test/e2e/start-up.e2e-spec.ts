import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { makeDataDir, removeDataDir } from '../support/app.js';
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

  it('mints a token from the built files, prints its usage on --help, and names a bad option in one line', () => {
    const help = execFileSync(process.execPath, ['dist/cli/mint-token.js', '--help']).toString();
    expect(help).toMatch(/^usage: npm run -s token -- <user id>/);
    const bad = spawnSync(process.execPath, ['dist/cli/mint-token.js', 'bob', '--bogus']);
    expect(bad.status).toBe(2);
    const stderr = bad.stderr.toString();
    expect(stderr.split('\n')[0]).toMatch(/--bogus/);
    expect(stderr).toContain('usage:');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(mint('bob').split('.')).toHaveLength(3);
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

  /**
   * Issue 11, point 10: every bad value stops the process within 5 s, with exit code 1
   * and one line naming the variable; never a stack trace, a hang or a busy loop.
   */
  describe('a bad configuration', () => {
    const scratch = makeDataDir();
    const aFile = join(scratch, 'a-file');
    writeFileSync(aFile, 'not a directory');
    // A folder without write permission, but root writes there anyway: sysfs refuses even root.
    const unwritable = process.getuid?.() === 0 ? '/sys/kernel' : join(scratch, 'read-only');
    if (unwritable !== '/sys/kernel') {
      mkdirSync(unwritable);
      chmodSync(unwritable, 0o500);
    }
    afterAll(() => removeDataDir(scratch));

    const garbageKey = '-----BEGIN PUBLIC KEY-----\\nbm90IGEga2V5\\n-----END PUBLIC KEY-----';
    it.each<[string, Record<string, string>]>([
      ['REDIS_URL', { REDIS_URL: 'notaurl' }],
      ['REDIS_URL', { REDIS_URL: 'ftp://x:1' }],
      ['CORS_ORIGINS', { CORS_ORIGINS: 'not a url' }],
      ['CORS_ORIGINS', { CORS_ORIGINS: 'https://ok.example, https://app.example/path' }],
      ['JWT_PUBLIC_KEY', { JWT_PUBLIC_KEY: garbageKey }],
      ['DATA_DIR', { DATA_DIR: unwritable }],
      ['DATA_DIR', { DATA_DIR: aFile }],
      ['DATA_DIR', { DATA_DIR: '/proc/x' }],
      ['JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: 'short-but-not-32-bytes' }],
      ['HOST', { HOST: 'not a host' }],
      ['PORT', { PORT: '70000' }],
      ['REDIS_COMMAND_TIMEOUT_MS', { REDIS_COMMAND_TIMEOUT_MS: '2s' }],
    ])('%s: %j exits 1 within 5 s with one line naming it', async (name, env) => {
      const { exitCode, output, ms } = await Instance.exitOf(env);
      expect({ exitCode, output }).toEqual({ exitCode: 1, output: expect.any(String) });
      expect(ms).toBeLessThan(5000);
      expect(output.trim().split('\n')).toEqual([expect.stringContaining(name)]);
      expect(output).not.toContain('    at ');
      if (env.DATA_DIR) expect(output).toContain(env.DATA_DIR);
    });
  });
});
