// The measurements, each run the same way against every server (floor, tutorial design,
// service) with the same load generator. Notification titles carry a sequence number and
// the publish time (`b<seq>@<epoch ms>`), which the load workers turn into latencies.
import http from 'node:http';
import { devToken, postJson } from './support.js';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const publisher = devToken('bench-publisher', ['service']);
let seq = 0;

export const percentile = (values, p) => {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

export const usersFor = (n) => Array.from({ length: n }, (_, i) => `user-${i}`);

/** Publishes one notification; resolves with its sequence number once answered 201. */
async function publish(server, recipients, body = '') {
  const mine = ++seq;
  await postJson(`${server.url}/notifications`, {
    agent,
    token: publisher,
    body: { recipients, type: 'bench.event', title: `b${mine}@${now().toFixed(3)}`, body },
    status: 201,
  });
  return mine;
}

/** Waits until every event of `seqs` has reached `expected` streams (or the time is up). */
async function delivered(gen, seqs, expected, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await gen.report();
    const done = seqs.every((s) => (report.perEvent.get(s)?.count ?? 0) >= expected(s));
    if (done || Date.now() > deadline) return { ...report, complete: done };
    await sleep(5);
  }
}

/** Opens N streams and reads the server's memory per stream (after GC) before and after. */
export async function openStreams(server, gen, users) {
  const before = await server.stats(true);
  const started = now();
  await gen.open(server.url, users);
  const openSeconds = (now() - started) / 1000;
  await sleep(200);
  const after = await server.stats(true);
  if (after.streams !== users.length) {
    throw new Error(`${server.kind}: ${after.streams} streams open, ${users.length} expected`);
  }
  return {
    rssPerStreamKB: (after.rss - before.rss) / users.length / 1024,
    heapPerStreamKB: (after.heapUsed - before.heapUsed) / users.length / 1024,
    opensPerSecond: users.length / openSeconds,
  };
}

/**
 * Isolated broadcasts, one at a time: publish until the last stream has it, and the
 * server's CPU time per broadcast (the publishing request included).
 */
export async function broadcastFanout(server, gen, n, rounds = 50, warmUp = 5) {
  const latencies = [];
  let cpu = 0;
  for (let round = -warmUp; round < rounds; round++) {
    await gen.record();
    const before = await server.stats();
    const s = await publish(server, '*');
    const report = await delivered(gen, [s], () => n);
    const after = await server.stats();
    if (!report.complete)
      throw new Error(`${server.kind}: broadcast ${s} did not reach ${n} streams`);
    if (round < 0) continue;
    latencies.push(report.perEvent.get(s).max);
    cpu += after.cpuMicros - before.cpuMicros;
    await sleep(10);
  }
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuPerBroadcastMs: cpu / rounds / 1000,
  };
}

/** Broadcasts back to back for `seconds` (`inFlight` requests at a time): deliveries per second. */
export async function broadcastThroughput(server, gen, n, seconds = 5, inFlight = 2) {
  await gen.record();
  const seqs = [];
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (now() < end) seqs.push(await publish(server, '*'));
    }),
  );
  const report = await delivered(gen, seqs, () => n);
  return {
    broadcasts: seqs.length,
    deliveriesPerSecond: report.deliveries / ((report.last - start) / 1000),
    complete: report.complete,
  };
}

/**
 * Requests of 100 random recipients each (distinct, among the N users), `inFlight` at a
 * time for `seconds`: deliveries per second, so that routing and not HTTP dominates.
 */
export async function targetedThroughput(server, gen, users, seconds = 3, inFlight = 4) {
  await gen.record();
  const counts = new Map();
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (now() < end) {
        const recipients = sample(users, 100);
        // One request makes one notification per recipient: their sequence numbers follow.
        const first = await publish(server, recipients);
        counts.set(first, recipients.length);
      }
    }),
  );
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const deadline = Date.now() + 60_000;
  let report = await gen.report();
  while (report.deliveries < total && Date.now() < deadline) {
    await sleep(10);
    report = await gen.report();
  }
  return {
    requests: counts.size,
    deliveriesPerSecond: report.deliveries / ((report.last - start) / 1000),
    complete: report.deliveries === total,
  };
}

function sample(users, k) {
  if (users.length <= k) return [...users];
  const picked = new Set();
  while (picked.size < k) picked.add(users[Math.floor(Math.random() * users.length)]);
  return [...picked];
}

/** Closes every stream and waits until the server has let go of them all. */
export async function closeStreams(server, gen) {
  await gen.close();
  const deadline = Date.now() + 30_000;
  while ((await server.stats()).streams > 0) {
    if (Date.now() > deadline) throw new Error(`${server.kind}: streams still open after closing`);
    await sleep(50);
  }
}

/**
 * Churn: `total` streams opened and closed in waves; then what the server holds (streams,
 * bus listeners, timers, sockets, cached counts, heap after GC) against the start. The
 * start is taken after one warm-up wave, so that one-time allocations (compiled code,
 * pools, prepared statements) are not counted as leaks.
 */
export async function churn(server, gen, total = 20_000, wave = 2_500) {
  await gen.open(
    server.url,
    usersFor(500).map((u) => `warm-${u}`),
  );
  await closeStreams(server, gen);
  const before = await server.stats(true);
  for (let opened = 0; opened < total; opened += wave) {
    await gen.open(
      server.url,
      usersFor(wave).map((u) => `churn-${opened}-${u}`),
    );
    await closeStreams(server, gen);
  }
  await sleep(500);
  const after = await server.stats(true);
  const keys = [
    'streams',
    'admitted',
    'listeners',
    'timers',
    'sockets',
    'usersFollowed',
    'unreadCached',
  ];
  return {
    streamsOpenedAndClosed: total,
    before: Object.fromEntries(keys.map((key) => [key, before[key]])),
    after: Object.fromEntries(keys.map((key) => [key, after[key]])),
    heapDeltaMB: (after.heapUsed - before.heapUsed) / 1024 / 1024,
  };
}

/**
 * A slow consumer: among `others` reading streams, one stops reading while `events` large
 * notifications flow at a steady `rate`. Its memory on the server is bounded (the service
 * drops it past MAX_BUFFERED_BYTES), it resumes with Last-Event-ID and gets everything, and
 * the others' p99 latency is compared with the same flow without a slow consumer.
 */
export async function slowConsumer(server, gen, { others = 50, events = 1500, rate = 500 } = {}) {
  const users = usersFor(others + 1).map((u) => `slow-${u}`);
  const slowUser = users[others];
  await gen.open(server.url, users);
  const body = 'x'.repeat(9000);
  const flow = async () => {
    const seqs = [];
    const start = now();
    let peakRss = 0;
    for (let i = 0; i < events; i++) {
      const due = start + (i * 1000) / rate;
      while (now() < due) await sleep(1);
      seqs.push(await publish(server, '*', body));
      if (i % 100 === 0) peakRss = Math.max(peakRss, (await server.stats()).rss);
    }
    return { seqs, peakRss };
  };
  // The reference: the same flow with every stream reading.
  const rssBeforeBaseline = (await server.stats(true)).rss;
  await gen.record(true);
  const baseline = await flow();
  const baselineReport = await delivered(gen, baseline.seqs, () => others + 1);
  const baselineP99 = percentile(baselineReport.samples, 99);
  const rssAfterBaseline = (await server.stats(true)).rss;
  const slowWorker = gen.workerOf(others);
  await slowWorker.request({ cmd: 'pause', userId: slowUser });
  await gen.record(true);
  const slow = await flow();
  const slowReport = await delivered(gen, slow.seqs, () => others);
  const withSlowP99 = percentile(slowReport.samples, 99);
  const resumed = await slowWorker.request({
    cmd: 'resumeSlow',
    base: server.url,
    userId: slowUser,
    expect: events,
  });
  const got = new Set(resumed.seqs);
  const missing = slow.seqs.filter((s) => !got.has(s)).length;
  await closeStreams(server, gen);
  return {
    others,
    events,
    eventBytes: body.length,
    othersP99Ms: { baseline: baselineP99, withSlowConsumer: withSlowP99 },
    p99Change: withSlowP99 / baselineP99 - 1,
    // Peak RSS during each flow over the RSS before it: the flows alone move it too.
    serverRssGrowthMB: {
      baseline: (baseline.peakRss - rssBeforeBaseline) / 1024 / 1024,
      withSlowConsumer: (slow.peakRss - rssAfterBaseline) / 1024 / 1024,
    },
    droppedByServer: resumed.dropped,
    receivedBeforeDrop: resumed.seenBeforeDrop,
    missingAfterResume: missing,
    duplicatesAfterResume: resumed.seqs.length - got.size,
  };
}
