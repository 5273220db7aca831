import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import request from 'supertest';
import { eventually, makeDataDir, removeDataDir } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer } from '../support/tokens.js';

/**
 * The README's commands on the built artifact (`npm test` builds first):
 * `node dist/main.js` with no configuration, and the dev token script.
 */
describe('dist/main.js', () => {
  let child: ChildProcess | null = null;
  let output = '';
  let workDir = '';
  const main = resolve('dist/main.js');

  const start = (env: Record<string, string> = {}) => {
    output = '';
    // An empty working directory: the default DATA_DIR (./data) is created there.
    workDir = makeDataDir();
    child = spawn(process.execPath, [main], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return child;
  };
  const mint = (...args: string[]) =>
    execFileSync(process.execPath, ['dist/cli/mint-token.js', ...args], {
      env: { PATH: process.env.PATH ?? '' },
    })
      .toString()
      .trim();

  afterEach(() => {
    child?.kill('SIGKILL');
    child = null;
    removeDataDir(workDir);
  });

  it('runs with no configuration, says how to get a token, and serves a dev token', async () => {
    start();
    await eventually(
      () => /listening on http:\/\/\S+:\d+/.test(output),
      'the start-up line',
      15000,
    );
    const base = /listening on (http:\/\/\S+:\d+)/.exec(output)![1];
    expect(output).toMatch(/JWT_SECRET is not set/);
    expect(output).toContain('npm run -s token -- alice --roles admin');
    await request(base).get('/health').expect(200);

    const admin = mint('alice', '--roles', 'admin');
    const stream = new RawStream(`${base}/notifications/stream`, bearer(mint('bob')));
    await stream.waitForBody('retry: 3000');
    await request(base)
      .post('/announcements')
      .set(bearer(admin))
      .send({ title: 'Hello', body: 'from the README' })
      .expect(201);
    await stream.waitForBody('from the README');
    stream.close();
  });

  it('ends open streams and exits 0 within 10 s on SIGTERM', async () => {
    const proc = start();
    await eventually(
      () => /listening on http:\/\/\S+:\d+/.test(output),
      'the start-up line',
      15000,
    );
    const base = /listening on (http:\/\/\S+:\d+)/.exec(output)![1];
    const stream = new RawStream(`${base}/notifications/stream`, bearer(mint('carol')));
    await stream.waitForBody('retry:');
    const signalledAt = Date.now();
    proc.kill('SIGTERM');
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    await stream.waitForEnd();
  });

  it('refuses to start in production without a key, saying why', async () => {
    const proc = start({ NODE_ENV: 'production' });
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output).toMatch(/JWT_SECRET \(or JWT_PUBLIC_KEY\) is required/);
  });
});
