import { afterEach, describe, expect, it } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { makeDataDir, removeDataDir } from '../support/app.js';

/**
 * `npm run bench` is never part of `npm test`, so nothing else would notice when a change
 * to the service breaks the benchmark's own servers (as reading the stream registry out of
 * the app once did). Each one is started here as the benchmark starts it and asked for its
 * stats once, over the same IPC channel.
 */
describe('bench/servers', () => {
  let child: ChildProcess | null = null;
  let dataDir: string | null = null;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    child = null;
    if (dataDir) removeDataDir(dataDir);
    dataDir = null;
  });

  it.each(['floor', 'tutorial', 'service'])(
    'starts %s and answers a stats request',
    async (kind) => {
      dataDir = makeDataDir();
      const output: string[] = [];
      child = fork(resolve(`bench/servers/${kind}.js`), [], {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, HEARTBEAT_MS: '60000' },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const started = child;
      const message = (type: string) =>
        new Promise<Record<string, unknown>>((ready, fail) => {
          const onMessage = (m: Record<string, unknown>) => {
            if (m.type !== type) return;
            started.off('message', onMessage);
            ready(m);
          };
          started.on('message', onMessage);
          started.once('exit', (code) =>
            fail(new Error(`${kind} exited with ${code}: ${output.join('')}`)),
          );
        });
      const listening = await message('listening');
      expect(listening.port).toEqual(expect.any(Number));
      const stats = message('stats');
      started.send({ type: 'stats', id: 1, gc: false });
      expect(await stats).toEqual(
        expect.objectContaining({ id: 1, rss: expect.any(Number), cpuMicros: expect.any(Number) }),
      );
      if (kind === 'service') {
        expect(await stats).toEqual(
          expect.objectContaining({ streams: 0, admitted: 0, usersFollowed: 0, unreadCached: 0 }),
        );
      }
    },
    20000,
  );
});
