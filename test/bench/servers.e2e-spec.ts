import { afterEach, describe, expect, it } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { publish } from '../support/api.js';
import { makeDataDir, removeDataDir } from '../support/app.js';
import { RawStream } from '../support/raw-stream.js';
import { bearer, token } from '../support/tokens.js';
import { sleep } from '../support/wait.js';

/**
 * `npm run bench` is never part of `npm test`, so nothing else would notice when a change
 * to the service breaks the benchmark's own servers (as reading the stream registry out of
 * the app once did). Each one is started here as the benchmark starts it and asked for its
 * stats once, over the same IPC channel.
 */
describe('bench/servers', () => {
  let child: ChildProcess | null = null;
  let dataDir: string | null = null;
  let stream: RawStream | null = null;

  afterEach(async () => {
    stream?.close();
    stream = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    child = null;
    if (dataDir) removeDataDir(dataDir);
    dataDir = null;
  });

  /** Starts bench/servers/<kind>.js as the benchmark does; resolves once it listens. */
  async function start(kind: string) {
    dataDir = makeDataDir();
    const output: string[] = [];
    child = fork(resolve(`bench/servers/${kind}.js`), [], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, HEARTBEAT_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const started = child;
    let nextId = 0;
    const message = (test: (m: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((ready, fail) => {
        const onMessage = (m: Record<string, unknown>) => {
          if (!test(m)) return;
          started.off('message', onMessage);
          ready(m);
        };
        started.on('message', onMessage);
        started.once('exit', (code) =>
          fail(new Error(`${kind} exited with ${code}: ${output.join('')}`)),
        );
      });
    const listening = await message((m) => m.type === 'listening');
    return {
      port: listening.port,
      stats: () => {
        const id = ++nextId;
        const answer = message((m) => m.type === 'stats' && m.id === id);
        started.send({ type: 'stats', id, gc: false });
        return answer;
      },
    };
  }

  it.each(['floor', 'tutorial', 'nest', 'service'])(
    'starts %s and answers a stats request',
    async (kind) => {
      const server = await start(kind);
      expect(server.port).toEqual(expect.any(Number));
      const stats = await server.stats();
      expect(stats).toEqual(
        expect.objectContaining({ rss: expect.any(Number), cpuMicros: expect.any(Number) }),
      );
      if (kind === 'service') {
        expect(stats).toEqual(
          expect.objectContaining({ streams: 0, admitted: 0, usersFollowed: 0, unreadCached: 0 }),
        );
      } else {
        expect(stats).toEqual(expect.objectContaining({ streams: 0 }));
      }
    },
    20000,
  );

  // The bare Nest app stands in for the floor: same URL, subject, publish and framing.
  it('nest holds a stream at the floor’s URL and delivers what POST /notifications sends', async () => {
    const server = await start('nest');
    const url = `http://127.0.0.1:${server.port as number}`;
    stream = new RawStream(`${url}/notifications/stream`, bearer(token('ada')));
    await stream.waitForBody('retry: 3000\n\n');
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(await server.stats()).toEqual(expect.objectContaining({ streams: 1, listeners: 1 }));
    await publish(url, ['ada', 'bob'], 'for ada');
    await publish(url, '*', 'for all');
    await stream.waitForBody('"title":"for all"');
    const events = stream.blocks.filter((block) => block.includes('data:'));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(
      /^event: test\.ping\nid: 1\ndata: \{.*"title":"for ada".*"recipient":"ada"/,
    );
    expect(events[1]).toMatch(
      /^event: test\.ping\nid: 3\ndata: \{.*"title":"for all".*"recipient":"\*"/,
    );
    stream.close();
    let open = 1;
    for (let tries = 0; open !== 0 && tries < 100; tries++) {
      await sleep(20);
      open = (await server.stats()).streams as number;
    }
    expect(open).toBe(0);
  }, 20000);
});
