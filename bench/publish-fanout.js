// What Redis pays to PUBLISH one notification message to N subscribed instances (issue 17,
// point 4: would 40 instances make the single channel the limit?). A redis-server, N
// subscriber connections on one channel (as N instances), MESSAGES publishes of a
// SIZE-byte message; Redis CPU seconds from /proc/<pid>/stat per message, for each N.
//   node bench/publish-fanout.js       (N=1,10,40 MESSAGES=20000 SIZE=400)
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedis } from './redis-server.js';

const COUNTS = (process.env.N ?? '1,10,40').split(',').map(Number);
const MESSAGES = Number(process.env.MESSAGES ?? 20_000);
const SIZE = Number(process.env.SIZE ?? 400);

const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const server = await startRedis();
const { url } = server;
const message = 'x'.repeat(SIZE);
console.log(`Redis CPU per PUBLISH of a ${SIZE}-byte message, ${MESSAGES} messages:`);
try {
  for (const n of COUNTS) {
    const subscribers = Array.from({ length: n }, () => new Redis(url));
    let received = 0;
    for (const s of subscribers) {
      await s.subscribe('bench');
      s.on('message', () => (received += 1));
    }
    const publisher = new Redis(url);
    const before = cpuSeconds(server.pid);
    for (let i = 0; i < MESSAGES; i += 500) {
      const batch = publisher.pipeline();
      for (let j = 0; j < 500; j++) batch.publish('bench', message);
      await batch.exec();
    }
    while (received < n * MESSAGES) await new Promise((settle) => setTimeout(settle, 20));
    const cpu = cpuSeconds(server.pid) - before;
    console.log(
      `  ${String(n).padStart(3)} subscribers: ${((1e6 * cpu) / MESSAGES).toFixed(1)} µs a message, ` +
        `${((1e6 * cpu) / MESSAGES / n).toFixed(1)} µs per subscriber`,
    );
    publisher.disconnect();
    subscribers.forEach((s) => s.disconnect());
  }
} finally {
  await server.stop();
}
process.exit(0);
