// What an instance pays for notifications it does not deliver (issue 17, point 4): one
// redis-server and two instances of the built service (dist/) on it; STREAMS streams open on
// A only, one per user; RATE targeted notifications a second to those users, published
// through A, for SECONDS; then each instance's CPU seconds (utime + stime from
// /proc/<pid>/stat) over that window, and B's as a share of A's. Run once with one
// recipient a request and once with 20 (the same notifications a second, in fewer requests).
//   npm run build && node bench/instances.js      (STREAMS=1000 RATE=200 SECONDS=20)
// Linux only (/proc). Prints a table; writes nothing.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { devToken, openBlocks, postJson, startService } from './support.js';
import { startRedis } from './redis-server.js';

const STREAMS = Number(process.env.STREAMS ?? 1000);
const RATE = Number(process.env.RATE ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 20);
const RECIPIENTS = (process.env.RECIPIENTS ?? '1,20').split(',').map(Number);
/** Clock ticks a second of /proc/<pid>/stat (USER_HZ: 100 on every Linux in practice). */
const TICKS = 100;
const log = (line) =>
  console.error(`[instances ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

const redis = await startRedis();
const env = { REDIS_URL: redis.url, MAX_STREAMS: '100000' };
// PROFILE=1: a CPU profile of each instance in bench/results/profiles (where B's time goes).
const profiled = (name) =>
  process.env.PROFILE
    ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles', `--cpu-prof-name=${name}.cpuprofile`]
    : [];
let a;
let b;
try {
  [a, b] = await Promise.all([
    startService(env, profiled('instance-a')),
    startService(env, profiled('instance-b')),
  ]);
} catch (error) {
  await redis.stop();
  throw error;
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const publisher = devToken('bench-publisher', ['service']);
const users = Array.from({ length: STREAMS }, (_, i) => `a-user-${i}`);
let received = 0;
const streams = [];
const rows = [];
try {
  log(`opening ${STREAMS} streams on A`);
  for (let i = 0; i < users.length; i += 100) {
    streams.push(
      ...(await Promise.all(
        users.slice(i, i + 100).map((userId) =>
          openBlocks(a.url, {
            path: '/notifications/stream',
            userId,
            isReady: (block) => block.includes('event: unread-count'),
            onBlock: (block) => {
              if (block.includes('event: bench.targeted')) received += 1;
            },
          }),
        ),
      )),
    );
  }
  // The type is new to both instances: learned from the first notification, outside the window.
  await postJson(`${a.url}/notifications`, {
    agent,
    token: publisher,
    body: { recipients: [users[0]], type: 'bench.targeted', title: 'warm-up' },
    status: 201,
  });
  await new Promise((settle) => setTimeout(settle, 1000));

  for (const perRequest of RECIPIENTS) {
    const requestsPerSecond = RATE / perRequest;
    const total = RATE * SECONDS;
    log(`${perRequest} recipient(s) a request: ${total} notifications in ${SECONDS} s`);
    received = 0;
    const before = { a: cpuSeconds(a.pid), b: cpuSeconds(b.pid), redis: cpuSeconds(redis.pid) };
    const start = performance.now();
    const pending = [];
    let next = 0;
    for (let sent = 0; sent < total; sent += perRequest) {
      // A fixed rate: request k leaves at k / requestsPerSecond seconds, late or not.
      const due = start + ((sent / perRequest) * 1000) / requestsPerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((settle) => setTimeout(settle, wait));
      const recipients = Array.from({ length: perRequest }, () => users[next++ % users.length]);
      pending.push(
        postJson(`${a.url}/notifications`, {
          agent,
          token: publisher,
          body: { recipients, type: 'bench.targeted', title: 'targeted', body: 'x'.repeat(100) },
          status: 201,
        }),
      );
    }
    await Promise.all(pending);
    const deadline = performance.now() + 10_000;
    while (received < total && performance.now() < deadline) {
      await new Promise((settle) => setTimeout(settle, 20));
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = {
      a: cpuSeconds(a.pid) - before.a,
      b: cpuSeconds(b.pid) - before.b,
      redis: cpuSeconds(redis.pid) - before.redis,
    };
    rows.push({ perRequest, total, received, seconds, cpu });
  }
} finally {
  streams.forEach((req) => req.destroy());
  agent.destroy();
  await Promise.all([a.stop(), b.stop()]);
  await redis.stop();
}

console.log(
  `Two instances on one Redis; ${STREAMS} streams on A, none on B; ${RATE} targeted notifications/s ` +
    `to A's users, published through A, for ${SECONDS} s:`,
);
console.log(
  'recipients/request  delivered      window  CPU A    CPU B    B/A     B per notification  Redis CPU',
);
for (const { perRequest, total, received: got, seconds, cpu } of rows) {
  console.log(
    [
      String(perRequest).padEnd(19),
      `${got}/${total}`.padEnd(14),
      `${seconds.toFixed(1)} s`.padEnd(7),
      `${cpu.a.toFixed(2)} s`.padEnd(8),
      `${cpu.b.toFixed(2)} s`.padEnd(8),
      `${((100 * cpu.b) / cpu.a).toFixed(1)} %`.padEnd(7),
      `${((1000 * cpu.b) / total).toFixed(3)} ms`.padEnd(19),
      `${cpu.redis.toFixed(2)} s`,
    ].join(' '),
  );
}
process.exit(0);
