// The benchmark's table and its verdict against the targets, from the results
// that run.js also writes to bench/results/latest.json.
import { scaleOutLines } from './scale-out.js';

const fixed = (value, digits = 1) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
const thousands = (value) =>
  value === undefined ? '–' : Math.round(value).toLocaleString('en-US');

const ROWS = [
  ['RSS per idle stream (KB)', (e) => e.rssPerStreamKB, fixed],
  ['broadcast: publish → last stream, p50 (ms)', (e) => e.fanout?.p50Ms, fixed],
  ['broadcast: publish → last stream, p99 (ms)', (e) => e.fanout?.p99Ms, fixed],
  ['broadcast: server CPU each (ms)', (e) => e.fanout?.cpuPerBroadcastMs, fixed],
  ['broadcast burst: deliveries/s', (e) => e.broadcast?.deliveriesPerSecond, thousands],
  [
    'targeted (100 recipients a request): deliveries/s',
    (e) => e.targeted?.deliveriesPerSecond,
    thousands,
  ],
];

export function printReport(results) {
  const lines = [];
  const out = (line = '') => lines.push(line);
  out(
    `${results.command}, ${results.takenAt} (${results.seconds} s): ${results.machine.cpus}, ` +
      `${results.machine.memoryGiB} GiB, Node ${results.machine.node}, ${results.machine.pinned}`,
  );
  for (const [n, byKind] of Object.entries(results.byN)) {
    out();
    out(`| N = ${n} | floor | tutorial | nest | service | service / floor | service / nest |`);
    out('|---|---:|---:|---:|---:|---:|---:|');
    for (const [label, read, format] of ROWS) {
      const [floor, tutorial, nest, service] = ['floor', 'tutorial', 'nest', 'service'].map((k) =>
        read(byKind[k] ?? {}),
      );
      if (floor === undefined && service === undefined) continue;
      out(
        `| ${label} | ${format(floor)} | ${format(tutorial)} | ${format(nest)} | ${format(service)} | ` +
          `${fixed(service / floor, 2)}× | ${fixed(service / nest, 2)}× |`,
      );
    }
  }
  const verdicts = targets(results);
  out();
  out('| target (at the largest N) | measured | |');
  out('|---|---|---|');
  for (const { name, measured, met } of verdicts)
    out(`| ${name} | ${measured} | ${met ? 'met' : 'MISSED'} |`);
  const { churn, slowConsumer: slow, durable } = results;
  out();
  out(
    `churn: ${churn.streamsOpenedAndClosed} streams opened and closed; before → after: ` +
      Object.keys(churn.before)
        .map((k) => `${k} ${churn.before[k]} → ${churn.after[k]}`)
        .join(', ') +
      `; heap ${churn.heapDeltaMB >= 0 ? '+' : ''}${fixed(churn.heapDeltaMB, 2)} MB`,
  );
  out(
    `slow consumer: ${slow.events} events of ${slow.eventBytes} B to ${slow.others} streams and one that stops reading: ` +
      `dropped by the server ${slow.droppedByServer ? 'yes' : 'NO'}, server peak RSS growth ${fixed(slow.serverRssGrowthMB.withSlowConsumer)} MB (${fixed(slow.serverRssGrowthMB.baseline)} MB without it), ` +
      `missing after resume ${slow.missingAfterResume}, duplicates ${slow.duplicatesAfterResume}, ` +
      `others' p99 ${fixed(slow.othersP99Ms.baseline)} → ${fixed(slow.othersP99Ms.withSlowConsumer)} ms (${fixed(slow.p99Change * 100)} %)`,
  );
  for (const [store, stored] of [
    ['SQLite', durable.storedAndDelivered],
    ['Redis', durable.storedAndDeliveredRedis],
  ])
    if (stored)
      out(
        `durable store: ${thousands(stored.perSecond)} targeted notifications stored (${store}) and delivered per second (${stored.concurrency} requests in flight, one recipient each)`,
      );
  for (const l of durable.latency)
    out(`publish → receipt, ${l.label}: p50 ${fixed(l.p50, 2)} ms, p99 ${fixed(l.p99, 2)} ms`);
  if (results.scaleOut) scaleOutLines(results.scaleOut).forEach((line) => out(line));
  console.log(lines.join('\n'));
}

/** Only in BENCH_KINDS runs: what the load generator itself costs (not a server's figure). */
const LOAD_ROW = [
  'load generator CPU per received event, during fan-out (µs)',
  (e) => e.fanout?.loadCpuPerEventMicros,
  fixed,
];

/** BENCH_KINDS runs: each measured number by N and server, and the ratio to the floor. */
export function printPartial(results) {
  for (const [n, byKind] of Object.entries(results.byN)) {
    for (const [label, read, format] of [...ROWS, LOAD_ROW]) {
      const values = Object.entries(byKind).map(([kind, e]) => [kind, read(e)]);
      if (values.every(([, value]) => value === undefined)) continue;
      const floor = read(byKind.floor ?? {});
      const shown = values.map(
        ([kind, value]) =>
          `${kind} ${format(value)}` +
          (floor && kind !== 'floor' ? ` (${fixed(value / floor, 2)}×)` : ''),
      );
      console.log(`N = ${n}, ${label}: ${shown.join(', ')}`);
    }
  }
}

/** The targets, each with what was measured and whether it was met. */
export function targets(results) {
  const sizes = Object.keys(results.byN).map(Number);
  const big = results.byN[Math.max(...results.settings.sizes)];
  const small = results.byN[Math.min(...sizes)];
  const ratio = (read) => read(big.service) / read(big.floor);
  const verdicts = [];
  const add = (name, measured, met) => verdicts.push({ name, measured, met });
  const cpu = ratio((e) => e.fanout.cpuPerBroadcastMs);
  add('server CPU per broadcast ≤ 1.3× floor', `${fixed(cpu, 2)}×`, cpu <= 1.3);
  const fan = ratio((e) => e.fanout.p50Ms);
  add('broadcast fan-out (p50) ≤ 1.3× floor', `${fixed(fan, 2)}×`, fan <= 1.3);
  const targeted = ratio((e) => e.targeted.deliveriesPerSecond);
  add(
    "targeted (100 recipients a request) ≥ 0.5× the floor's deliveries/s",
    `${fixed(targeted, 2)}×`,
    targeted >= 0.5,
  );
  const drop = (kind) =>
    big[kind].targeted.deliveriesPerSecond / small[kind].targeted.deliveriesPerSecond;
  const relative = drop('service') / drop('floor');
  add(
    "targeted: drop from small to large N ≥ 0.9× the floor's drop",
    `service keeps ${fixed(drop('service') * 100)} %, floor ${fixed(drop('floor') * 100)} % (${fixed(relative, 2)}×)`,
    relative >= 0.9,
  );
  // Results taken before the bare Nest app joined the benchmark have no `nest` entry.
  if (big.nest) {
    const vsNest = big.service.rssPerStreamKB / big.nest.rssPerStreamKB;
    add(
      'RSS per idle stream ≤ 1.15× a bare Nest @Sse app',
      `${fixed(vsNest, 2)}× (${fixed(big.service.rssPerStreamKB)} KB against ${fixed(big.nest.rssPerStreamKB)} KB)`,
      vsNest <= 1.15,
    );
  }
  const { before, after, heapDeltaMB } = results.churn;
  // A count that went down is no leak (the publisher's idle keep-alive sockets close, say).
  const leaks = Object.keys(before).filter((k) => after[k] > before[k]);
  add(
    'churn: nothing leaked, heap within 5 MB',
    leaks.length ? `changed: ${leaks.join(', ')}` : `heap ${fixed(heapDeltaMB, 2)} MB`,
    leaks.length === 0 && Math.abs(heapDeltaMB) <= 5,
  );
  const durable = results.durable ?? {};
  for (const [store, key, goal] of [
    ['embedded store', 'storedAndDelivered', 5000],
    ['Redis', 'storedAndDeliveredRedis', 3000],
  ]) {
    const perSecond = durable[key]?.perSecond;
    if (perSecond !== undefined)
      add(
        `single-recipient publishes stored and delivered (${store}) ≥ ${thousands(goal)}/s`,
        `${thousands(perSecond)}/s`,
        perSecond >= goal,
      );
  }
  const scale = results.scaleOut;
  if (scale?.median?.p99Ms !== undefined)
    add(
      `scale-out: broadcast to ${thousands(scale.streams)} streams over WORKERS=${scale.workers}, p99 ≤ 1 s`,
      `${thousands(scale.median.p99Ms)} ms (median of its broadcasts)`,
      scale.median.p99Ms <= 1000,
    );
  const slow = results.slowConsumer;
  add(
    "slow consumer: dropped, nothing lost, others' p99 within 20 %",
    `${slow.droppedByServer ? 'dropped' : 'not dropped'}, ${slow.missingAfterResume} missing, p99 ${fixed(slow.p99Change * 100)} %`,
    slow.droppedByServer && slow.missingAfterResume === 0 && slow.p99Change <= 0.2,
  );
  return verdicts;
}
