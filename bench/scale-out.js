// Scale-out (issue 16): the built service (dist/) with WORKERS=4 on one redis-server,
// holding 40,000 streams of distinct users, and broadcasts to all of them one at a time:
// publish → first, p50, p99 and last stream, the RSS of the cluster (primary and workers,
// from /proc) and the CPU each process group spent per broadcast (where the time goes).
// Part of `npm run bench` (BENCH_SCALE=0 skips it); alone:
//   npm run build && node bench/scale-out.js
// Settings: BENCH_SCALE_N=40000 BENCH_SCALE_WORKERS=4 BENCH_SCALE_BROADCASTS=5
// BENCH_SCALE_REDIS_URL (a running Redis instead of a throwaway one) BENCH_SCALE_JSON=1 (the
// result as one JSON line on stdout) BENCH_SCALE_PROFILE=1 (CPU profiles, see below). Linux only (/proc, 127.0.0.x source addresses).
// Nothing is pinned: the workers are meant to spread over the cores, and the load generator
// shares them (on a 2-core machine it competes with the service; its CPU is reported).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoadGenerator } from './load/load-generator.js';
import { firstMessage, IpcPeer, stopProcess } from './processes.js';
import { startRedis } from './redis-server.js';
import { percentile } from './scenarios.js';
import { devToken, postJson } from './support.js';

/** Sockets one load process holds: well under the 20,000 files a process may open here. */
const STREAMS_PER_LOAD_PROCESS = 10_000;
const SPACING_MS = 1000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const median = (values) => percentile(values, 50);
/** Clock ticks a second of /proc/<pid>/stat (USER_HZ: 100 on every Linux in practice). */
const TICKS = 100;

/** Each child at its hard limit of open files, which may be above the soft one it inherits. */
const RAISED_FILES = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
/** BENCH_SCALE_PROFILE=1: a CPU profile of every process (cluster workers inherit the flag). */
const PROFILE =
  process.env.BENCH_SCALE_PROFILE === '1'
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve('bench/results/profiles/scale-out')}`]
    : [];
const spawnNode = (args, options) =>
  spawn('/bin/sh', ['-c', RAISED_FILES, process.execPath, ...PROFILE, ...args], options);

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses and may hold spaces.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The pids whose parent is `pid` (the cluster's workers are the primary's children). */
function childrenOf(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(entry)[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone since the listing.
    }
  }
  return children;
}

/** CPU milliseconds (user + system) the process has used so far. */
const cpuMs = (pid) => {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) / TICKS) * 1000;
};

/** Resident memory in bytes (VmRSS). */
const rssOf = (pid) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

/** Open sockets of a process: its streams, plus a few Redis connections. */
function socketsOf(pid) {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count += 1;
    } catch {
      // Closed since the listing.
    }
  }
  return count;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** dist/main.js with WORKERS=`workers`; resolves once every worker listens. */
async function startCluster(workers, redisUrl) {
  const child = spawnNode([resolve('dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      WORKERS: String(workers),
      HEARTBEAT_MS: '60000',
      // Per worker; the default 50,000 would do, but a bigger run should not hit it.
      MAX_STREAMS: '100000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let workerPids = [];
  const warnings = [];
  const stop = async () => {
    workerPids = [...new Set([...workerPids, ...childrenOf(child.pid)])];
    await stopProcess(child);
    // A primary killed after its deadline leaves no orphan behind.
    for (const pid of workerPids.filter(alive)) process.kill(pid, 'SIGKILL');
  };
  try {
    const url = await new Promise((ready, fail) => {
      let out = '';
      const timer = setTimeout(
        () => fail(new Error(`not all ${workers} workers listened within 60 s:\n${out}`)),
        60_000,
      );
      child.stdout.setEncoding('utf8');
      const watch = (chunk) => {
        out += chunk;
        const listening = [...out.matchAll(/listening on (http:\/\/\S+:\d+)/g)];
        if (listening.length < workers) return;
        clearTimeout(timer);
        // From here on only warnings and errors are kept (the first few): a stream the
        // service ends says why there.
        child.stdout.off('data', watch);
        child.stdout.on('data', (more) => {
          if (warnings.length >= 20 || !/"level":[456]0/.test(more)) return;
          for (const line of more.split('\n'))
            if (/"level":[456]0/.test(line) && warnings.length < 20) warnings.push(line);
        });
        ready(listening[0][1]);
      };
      child.stdout.on('data', watch);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`the service exited with ${code}:\n${out}`));
      });
    });
    workerPids = childrenOf(child.pid);
    return { url, pid: child.pid, workerPids, warnings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `count` load-generator processes (bench/load/worker.js), unpinned. */
async function startLoad(count) {
  const workers = [];
  const gen = new LoadGenerator(workers);
  try {
    for (let i = 0; i < count; i++) {
      const child = spawnNode([resolve('bench/load/worker.js')], {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      workers.push({ child, peer: new IpcPeer(child) });
      await firstMessage(child, (m) => m.ready, `load process ${i}`);
    }
    return gen;
  } catch (error) {
    gen.stop();
    throw error;
  }
}

/** Waits until the workers hold `expected` more sockets than `before`; each one's share. */
async function sharesOf(workerPids, before, expected) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const shares = workerPids.map((pid, i) => socketsOf(pid) - before[i]);
    const total = shares.reduce((sum, share) => sum + share, 0);
    if (total >= expected || Date.now() > deadline) return shares;
    await sleep(100);
  }
}

/** CPU ms so far of each group of processes. */
const cpuOfGroups = (groups) =>
  Object.fromEntries(
    Object.entries(groups).map(([name, pids]) => [
      name,
      pids.reduce((sum, pid) => sum + cpuMs(pid), 0),
    ]),
  );

/**
 * Runs the scenario; everything it started (load processes, service, Redis) is stopped at
 * the end, whether it succeeded or not.
 */
export async function measureScaleOut({
  streams = 40_000,
  workers = 4,
  broadcasts = 5,
  redisUrl = null,
  log = () => undefined,
} = {}) {
  const cleanups = [];
  try {
    const redis = redisUrl ? { url: redisUrl, pid: null } : await startRedis();
    if (!redisUrl) cleanups.push(() => redis.stop());
    log(`starting the service with WORKERS=${workers}`);
    const service = await startCluster(workers, redis.url);
    cleanups.push(() => service.stop());
    if (service.workerPids.length !== workers) {
      throw new Error(`${service.workerPids.length} workers found, ${workers} expected`);
    }
    const loadProcesses = Math.ceil(streams / STREAMS_PER_LOAD_PROCESS);
    const gen = await startLoad(loadProcesses);
    cleanups.push(() => gen.stop());
    const cluster = [service.pid, ...service.workerPids];
    const socketsBefore = service.workerPids.map(socketsOf);
    const rssBefore = cluster.map(rssOf);

    log(`opening ${streams} streams from ${loadProcesses} load processes`);
    const users = Array.from({ length: streams }, (_, i) => `scale-${i}`);
    const opening = now();
    await Promise.all(
      gen.workers.map(({ peer }, i) =>
        peer.request({
          cmd: 'open',
          base: service.url,
          users: users.filter((_, u) => u % loadProcesses === i),
          // 40,000 connections to one port exceed one source address's ephemeral ports.
          localAddress: `127.0.0.${2 + i}`,
        }),
      ),
    );
    const openSeconds = (now() - opening) / 1000;
    const perWorkerStreams = await sharesOf(service.workerPids, socketsBefore, streams);
    await sleep(1000);
    const rssIdle = cluster.map(rssOf);

    const agent = new http.Agent({ keepAlive: true });
    const token = devToken('bench-publisher', ['service']);
    const groups = {
      workers: service.workerPids,
      primary: [service.pid],
      redis: redis.pid ? [redis.pid] : [],
      load: gen.workers.map(({ child }) => child.pid),
    };
    const rows = [];
    // Round 0 warms up (the type is new, code not yet optimised): reported, not counted.
    for (let seq = 1; seq <= broadcasts + 1; seq++) {
      log(`broadcast ${seq} of ${broadcasts + 1} (the first warms up)`);
      await gen.record(true);
      const cpuBefore = cpuOfGroups(groups);
      const publishedAt = now();
      await postJson(`${service.url}/notifications`, {
        agent,
        token,
        body: { recipients: '*', type: 'bench.event', title: `b${seq}@${publishedAt.toFixed(3)}` },
        status: 201,
      });
      const acknowledgedMs = now() - publishedAt;
      const deadline = Date.now() + 60_000;
      let report;
      let received = 0;
      do {
        // The latencies are taken where each frame lands; polling only collects them.
        await sleep(200);
        report = await gen.report();
        received = report.perEvent.get(seq)?.count ?? 0;
      } while (received < streams && Date.now() < deadline);
      const cpuAfter = cpuOfGroups(groups);
      const sorted = Float64Array.from(report.samples).sort();
      rows.push({
        seq,
        received,
        acknowledgedMs,
        firstMs: sorted[0] ?? null,
        p50Ms: percentile(sorted, 50) ?? null,
        p99Ms: percentile(sorted, 99) ?? null,
        lastMs: sorted[sorted.length - 1] ?? null,
        cpuMs: Object.fromEntries(
          Object.keys(groups).map((name) => [name, cpuAfter[name] - cpuBefore[name]]),
        ),
      });
      await sleep(SPACING_MS);
    }
    agent.destroy();
    const rssAfter = cluster.map(rssOf);
    // Closed, then let go: a load process exits on its own (writing its profile, if asked).
    await gen.close();
    await Promise.all(
      gen.workers.map(({ child }) => {
        const exited = new Promise((done) => child.once('exit', done));
        child.disconnect();
        return Promise.race([exited, sleep(5000)]);
      }),
    );
    const [warmUp, ...measured] = rows;
    const sum = (values) => values.reduce((total, value) => total + value, 0);
    return {
      streams,
      workers,
      loadProcesses,
      openSeconds,
      perWorkerStreams,
      rss: {
        idleClusterBeforeMB: sum(rssBefore) / 2 ** 20,
        primaryMB: rssIdle[0] / 2 ** 20,
        workersMB: rssIdle.slice(1).map((rss) => rss / 2 ** 20),
        totalMB: sum(rssIdle) / 2 ** 20,
        totalAfterBroadcastsMB: sum(rssAfter) / 2 ** 20,
        perStreamKB: (sum(rssIdle) - sum(rssBefore)) / streams / 1024,
        redisMB: redis.pid ? rssOf(redis.pid) / 2 ** 20 : null,
      },
      warmUp,
      broadcasts: measured,
      median: Object.fromEntries(
        ['acknowledgedMs', 'firstMs', 'p50Ms', 'p99Ms', 'lastMs'].map((key) => [
          key,
          median(measured.map((row) => row[key])),
        ]),
      ),
      cpuPerBroadcastMs: Object.fromEntries(
        Object.keys(groups).map((name) => [name, median(measured.map((row) => row.cpuMs[name]))]),
      ),
      pids: { primary: service.pid, workers: service.workerPids, load: groups.load },
      serviceWarnings: service.warnings,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`scale-out clean-up: ${error}`);
      }
    }
  }
}

const fixed = (value, digits = 0) => (value == null ? '–' : value.toFixed(digits));

/** The scenario's lines in the benchmark's report. */
export function scaleOutLines(result) {
  const { rss, median: m, cpuPerBroadcastMs: cpu } = result;
  const complete = result.broadcasts.every((row) => row.received === result.streams);
  const held = result.perWorkerStreams.reduce((sum, share) => sum + share, 0);
  return [
    `scale-out: WORKERS=${result.workers} on one Redis, ${result.streams.toLocaleString('en-US')} streams ` +
      `(per worker ${result.perWorkerStreams.join(' / ')}, ${held} held) from ${result.loadProcesses} load processes, ` +
      `opened in ${fixed(result.openSeconds, 1)} s; every stream got every broadcast: ${complete ? 'yes' : 'NO'}`,
    `scale-out, broadcast to all (median of ${result.broadcasts.length}): publish → first ${fixed(m.firstMs)} ms, ` +
      `p50 ${fixed(m.p50Ms)} ms, p99 ${fixed(m.p99Ms)} ms, last ${fixed(m.lastMs)} ms ` +
      `(target p99 ≤ 1 s: ${m.p99Ms <= 1000 && complete ? 'met' : 'MISSED'}); 201 after ${fixed(m.acknowledgedMs)} ms`,
    `scale-out, RSS with the streams open: ${fixed(rss.totalMB)} MB (workers ` +
      `${rss.workersMB.map((mb) => fixed(mb)).join(' + ')} MB, primary ${fixed(rss.primaryMB)} MB; ` +
      `${fixed(rss.idleClusterBeforeMB)} MB before the streams), ${fixed(rss.perStreamKB, 1)} KB per stream; ` +
      `Redis ${fixed(rss.redisMB)} MB`,
    `scale-out, CPU per broadcast: workers ${fixed(cpu.workers)} ms in all, primary ${fixed(cpu.primary)} ms, ` +
      `Redis ${fixed(cpu.redis)} ms, load generator ${fixed(cpu.load)} ms`,
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await measureScaleOut({
    streams: Number(process.env.BENCH_SCALE_N ?? 40_000),
    workers: Number(process.env.BENCH_SCALE_WORKERS ?? 4),
    broadcasts: Number(process.env.BENCH_SCALE_BROADCASTS ?? 5),
    redisUrl: process.env.BENCH_SCALE_REDIS_URL || null,
    log: (line) => console.error(`[scale-out ${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  for (const row of [result.warmUp, ...result.broadcasts]) {
    console.error(
      `broadcast ${row.seq}: ${row.received} received; first ${fixed(row.firstMs)} p50 ${fixed(row.p50Ms)} ` +
        `p99 ${fixed(row.p99Ms)} last ${fixed(row.lastMs)} ms; CPU ms ${JSON.stringify(row.cpuMs, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
  }
  for (const line of result.serviceWarnings) console.error(`service: ${line}`);
  console.log(scaleOutLines(result).join('\n'));
  if (process.env.BENCH_SCALE_JSON === '1') console.log(JSON.stringify(result));
  process.exit(0);
}
