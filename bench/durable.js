// The durable store's cost, apart from fan-out: targeted publishes stored and delivered per
// second (SQLite, Redis), and publish → receipt latency on one instance (SQLite, Redis) and from
// one instance to another through Redis. The built service (dist/) runs as child
// processes; the streams are raw HTTP clients in this process. Part of `npm run bench`;
// alone: `npm run build && node bench/durable.js`.
import http from 'node:http';
import { startRedis } from './redis-server.js';
import { devToken, openBlocks, postJson, startService } from './support.js';

const THROUGHPUT_STREAMS = Number(process.env.THROUGHPUT_STREAMS ?? 100);
const THROUGHPUT_NOTIFICATIONS = Number(process.env.THROUGHPUT_NOTIFICATIONS ?? 3000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);

// DURABLE_PROFILE=1: a CPU profile of each service in bench/results/profiles (where a publish's time goes).
const nodeArgs = process.env.DURABLE_PROFILE
  ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles']
  : [];

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const service = devToken('bench-service', ['service']);

/** One stream; calls onEvent(title, receivedAt) for each notification. */
const openStream = (url, userId, onEvent) =>
  openBlocks(url, {
    path: '/notifications/stream',
    userId,
    isReady: (block) => block.startsWith('retry:'),
    onBlock: (block, receivedAt) => {
      const title = /"title":"(bench-[^"]+)"/.exec(block);
      if (title && block.startsWith('id: ')) onEvent(title[1], receivedAt);
    },
  });

const post = (url, body) =>
  postJson(`${url}/notifications`, { agent, token: service, body, status: 201 });

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function throughput(url) {
  let delivered = 0;
  let allDelivered;
  const finished = new Promise((done) => (allDelivered = done));
  const streams = await Promise.all(
    Array.from({ length: THROUGHPUT_STREAMS }, (_, i) =>
      openStream(url, `tp-${i}`, () => {
        delivered += 1;
        if (delivered === THROUGHPUT_NOTIFICATIONS) allDelivered();
      }),
    ),
  );
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < THROUGHPUT_NOTIFICATIONS) {
        const i = next++;
        await post(url, {
          recipients: [`tp-${i % THROUGHPUT_STREAMS}`],
          type: 'bench.targeted',
          title: `bench-tp-${i}`,
        });
      }
    }),
  );
  await finished;
  const seconds = (performance.now() - start) / 1000;
  streams.forEach((req) => req.destroy());
  return {
    streams: THROUGHPUT_STREAMS,
    notifications: THROUGHPUT_NOTIFICATIONS,
    concurrency: CONCURRENCY,
    seconds,
    perSecond: THROUGHPUT_NOTIFICATIONS / seconds,
  };
}

/** Publish on one instance → receipt on a stream of another (or the same), one at a time. */
async function latency(publishUrl, streamUrl, label) {
  const ROUNDS = 200;
  const waiting = new Map();
  const idle = await Promise.all(
    Array.from({ length: 99 }, (_, i) => openStream(streamUrl, `idle-${i}`, () => {})),
  );
  const stream = await openStream(streamUrl, 'latency', (title, at) => waiting.get(title)?.(at));
  const samples = [];
  for (let round = -20; round < ROUNDS; round++) {
    const title = `bench-lat-${label}-${round}`;
    const received = new Promise((done) => waiting.set(title, done));
    const start = performance.now();
    await post(publishUrl, { recipients: ['latency'], type: 'bench.latency', title });
    const at = await received;
    if (round >= 0) samples.push(at - start);
  }
  [stream, ...idle].forEach((req) => req.destroy());
  samples.sort((x, y) => x - y);
  return { label, p50: percentile(samples, 50), p99: percentile(samples, 99), rounds: ROUNDS };
}

const printLatency = ({ label, p50, p99, rounds }) =>
  console.log(
    `publish → receipt, ${label} (${rounds} one at a time, 100 streams open): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
  );

const printThroughput = (store, tp) =>
  console.log(
    `targeted publishes stored (${store}) and delivered to ${tp.streams} streams: ${tp.notifications} in ${tp.seconds.toFixed(2)} s = ${Math.round(tp.perSecond)}/s (${tp.concurrency} requests in flight)`,
  );

/** Runs every measurement of this file; resolves with the figures (printed as they come). */
export async function measureDurable() {
  const results = { latency: [] };
  const single = await startService({}, nodeArgs);
  try {
    results.storedAndDelivered = await throughput(single.url);
    printThroughput('SQLite', results.storedAndDelivered);
    results.latency.push(await latency(single.url, single.url, 'one instance, SQLite'));
    printLatency(results.latency.at(-1));
  } finally {
    await single.stop();
  }
  // Null when no redis-server is installed.
  const redis = await startRedis().catch(() => null);
  if (!redis) {
    console.log('redis-server not installed: Redis latencies not measured');
    return results;
  }
  const [a, b] = await Promise.all([
    startService({ REDIS_URL: redis.url }, nodeArgs),
    startService({ REDIS_URL: redis.url }, nodeArgs),
  ]);
  try {
    results.storedAndDeliveredRedis = await throughput(a.url);
    printThroughput('Redis', results.storedAndDeliveredRedis);
    results.latency.push(await latency(a.url, a.url, 'one instance, Redis'));
    printLatency(results.latency.at(-1));
    results.latency.push(await latency(a.url, b.url, 'instance A → instance B, Redis'));
    printLatency(results.latency.at(-1));
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
  return results;
}

if (process.argv[1]?.endsWith('durable.js')) {
  await measureDurable();
  agent.destroy();
}
