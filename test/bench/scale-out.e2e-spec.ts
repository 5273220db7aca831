import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describeWithRedis, RedisServer } from '../support/redis.js';

interface ScaleOutResult {
  streams: number;
  perWorkerStreams: number[];
  broadcasts: { received: number; p99Ms: number }[];
  rss: { totalMB: number; workersMB: number[] };
  pids: { primary: number; workers: number[]; load: number[] };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm run bench` is never part of `npm test`: the scale-out scenario runs here small
 * (400 streams, WORKERS=2, on a real redis-server), as `node bench/scale-out.js` runs alone,
 * so that a change to the service or to the load generator cannot silently break it.
 */
describeWithRedis('bench/scale-out.js', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('delivers every broadcast to each of 400 streams over two workers, and leaves no process behind', async () => {
    const child = spawn(process.execPath, [resolve('bench/scale-out.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        BENCH_SCALE_N: '400',
        BENCH_SCALE_WORKERS: '2',
        BENCH_SCALE_BROADCASTS: '2',
        BENCH_SCALE_REDIS_URL: redis.url,
        BENCH_SCALE_JSON: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as ScaleOutResult;
    expect(result.streams).toBe(400);
    // Both workers hold streams, and together all of them.
    expect(result.perWorkerStreams).toHaveLength(2);
    expect(Math.min(...result.perWorkerStreams)).toBeGreaterThan(0);
    expect(result.perWorkerStreams.reduce((sum, n) => sum + n, 0)).toBe(400);
    expect(result.broadcasts.map((b) => b.received)).toEqual([400, 400]);
    expect(result.broadcasts.every((b) => b.p99Ms > 0)).toBe(true);
    expect(result.rss.workersMB).toHaveLength(2);
    expect(result.rss.totalMB).toBeGreaterThan(0);
    expect(stdout).toMatch(/scale-out, broadcast to all \(median of 2\): publish → first \d+ ms/);
    // Cleaned up: the service's primary and workers and the load processes are gone.
    const pids = [result.pids.primary, ...result.pids.workers, ...result.pids.load];
    expect(pids.filter(alive)).toEqual([]);
  }, 90000);
});
