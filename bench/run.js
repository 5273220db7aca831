// npm run bench: the service against three references in the same run, on the same machine,
// with the same load generator and the same N (issue "Performance"):
//   floor     bench/servers/floor.js     plain http, one pre-encoded buffer per notification
//   tutorial  bench/servers/tutorial.js  one EventEmitter, every stream filters and encodes
//   nest      bench/servers/nest.js      a bare Nest @Sse app on express: what Nest itself costs
//   service   bench/servers/service.js   the built service on its embedded store
// The server runs on core 0 and the load generator's workers on core 1 (taskset).
// Settings: BENCH_N=1000,5000,10000  BENCH_TARGETED_N=100  BENCH_WORKERS=4
// Prints a table and writes bench/results/latest.json.
// BENCH_KINDS=floor,service: only those servers, and only the side-by-side measurements
// (no churn, slow consumer or durable store); prints a short summary, writes no results.
// For quick before/after comparisons while working on one number.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { measureDurable } from './durable.js';
import { LoadGenerator } from './load/load-generator.js';
import { PINNING, startServer } from './processes.js';
import {
  broadcastFanout,
  broadcastThroughput,
  churn,
  closeStreams,
  openStreams,
  slowConsumer,
  targetedThroughput,
  usersFor,
} from './scenarios.js';
import { printPartial, printReport } from './report.js';
import { measureScaleOut } from './scale-out.js';

const list = (value, fallback) => (value ?? fallback).split(',').filter(Boolean).map(Number);
const SIZES = list(process.env.BENCH_N, '1000,5000,10000');
const SMALL = list(process.env.BENCH_TARGETED_N, '100');
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4);
// BENCH_CHURN=20000: streams opened and closed in the churn measurement.
const PARTIAL = process.env.BENCH_KINDS !== undefined;
const KINDS = PARTIAL
  ? process.env.BENCH_KINDS.split(',')
  : ['floor', 'tutorial', 'nest', 'service'];
const log = (line) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

const started = Date.now();
const results = {
  takenAt: new Date().toISOString(),
  command: 'npm run bench',
  machine: {
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    pinned: PINNING ? 'server on core 0, load generator on core 1 (taskset)' : 'not pinned',
  },
  settings: { sizes: SIZES, targetedAlsoAt: SMALL, loadWorkers: WORKERS },
  byN: {},
};

const servers = {};
for (const kind of KINDS) servers[kind] = await startServer(kind);
const gen = await LoadGenerator.start(WORKERS);
try {
  for (const [index, n] of [...SMALL, ...SIZES].entries()) {
    // Alternating runs: each N starts with the next server, so none is always first.
    const order = KINDS.map((_, i) => KINDS[(i + index) % KINDS.length]);
    results.byN[n] = {};
    for (const kind of order) {
      const server = servers[kind];
      const users = usersFor(n);
      log(`${kind}, N = ${n}: opening streams`);
      const memory = await openStreams(server, gen, users);
      const entry = { ...memory };
      if (SIZES.includes(n)) {
        log(`${kind}, N = ${n}: broadcast fan-out`);
        const loadBefore = await gen.usage();
        entry.fanout = await broadcastFanout(server, gen, n);
        const loadAfter = await gen.usage();
        // The apparatus's own cost, so that a change to the load generator shows here.
        entry.fanout.loadCpuPerEventMicros =
          (loadAfter.cpuMicros - loadBefore.cpuMicros) / (loadAfter.received - loadBefore.received);
        log(`${kind}, N = ${n}: broadcast throughput`);
        entry.broadcast = await broadcastThroughput(server, gen, n);
      }
      log(`${kind}, N = ${n}: targeted throughput`);
      entry.targeted = await targetedThroughput(server, gen, users);
      await closeStreams(server, gen);
      results.byN[n][kind] = entry;
    }
  }
  if (!PARTIAL) {
    log('service: churn');
    results.churn = await churn(servers.service, gen, Number(process.env.BENCH_CHURN ?? 20_000));
    log('service: slow consumer');
    results.slowConsumer = await slowConsumer(servers.service, gen);
  }
} finally {
  gen.stop();
  await Promise.all(Object.values(servers).map((server) => server.stop()));
}
if (PARTIAL) {
  printPartial(results);
  process.exit(0);
}
log('service: durable store');
results.durable = await measureDurable();
// BENCH_SCALE=0 skips it (bench/scale-out.js: 40,000 streams over WORKERS=4 on Redis).
if (process.env.BENCH_SCALE !== '0') {
  log('service: scale-out');
  results.scaleOut = await measureScaleOut({ log });
}
results.seconds = Math.round((Date.now() - started) / 1000);

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
printReport(results);
process.exit(0);
