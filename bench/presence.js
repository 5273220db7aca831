// Presence relay throughput of the built service (dist/): WATCHERS users watch one document while
// MOVERS users post moves on it in parallel (CONCURRENCY requests in flight) for DURATION_MS; counts the
// `move` events the watchers receive. Moves are coalesced to at most one per user every 50 ms per
// stream, so the relayed rate is capped at MOVERS × 20 × WATCHERS events/s by design.
//   npm run build && node bench/presence.js            (WATCHERS=100 MOVERS=4 CONCURRENCY=16 DURATION_MS=5000)
//   REDIS_URL=redis://127.0.0.1:6379 node bench/presence.js     (the same through Redis)
import http from 'node:http';
import { devToken, openBlocks, postJson, startService } from './support.js';

const WATCHERS = Number(process.env.WATCHERS ?? 100);
const MOVERS = Number(process.env.MOVERS ?? 4);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const DURATION_MS = Number(process.env.DURATION_MS ?? 5000);
const DOCUMENT = 'bench-doc';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One presence stream; resolves once its snapshot arrived; onMove(x) for each move event. */
const watch = (url, userId, onMove) =>
  openBlocks(url, {
    path: `/documents/${DOCUMENT}/presence/stream`,
    userId,
    isReady: (block) => block.startsWith('event: snapshot\n'),
    onBlock: (block) => {
      if (block.startsWith('event: move\n')) onMove(JSON.parse(block.slice(18)));
    },
  });

const move = (url, userToken, x, y) =>
  postJson(`${url}/documents/${DOCUMENT}/presence`, {
    agent,
    token: userToken,
    body: { x, y },
    status: 204,
  });

const service = await startService(
  process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {},
);
try {
  const movers = Array.from({ length: MOVERS }, (_, i) => ({
    id: `mover-${i}`,
    token: devToken(`mover-${i}`),
  }));
  let received = 0;
  const lastSeen = new Map(); // mover → the last x watcher 0 saw
  const streams = [];
  for (let i = 0; i < WATCHERS; i += 50) {
    streams.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, WATCHERS - i) }, (_, j) =>
          watch(service.url, `watcher-${i + j}`, (event) => {
            received += 1;
            if (i + j === 0) lastSeen.set(event.userId, event.x);
          }),
        ),
      )),
    );
  }
  // Movers are present too (a move from a user with no stream on the document is ignored).
  streams.push(...(await Promise.all(movers.map((m) => watch(service.url, m.id, () => {})))));
  await new Promise((settle) => setTimeout(settle, 200));

  received = 0;
  let posted = 0;
  const start = performance.now();
  const deadline = start + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, lane) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const mover = movers[(lane + n) % MOVERS];
        await move(service.url, mover.token, ++posted, lane);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const relayed = received;
  // The last position is never lost: one final move per mover must be the last one seen.
  await Promise.all(movers.map((m) => move(service.url, m.token, -1, -1)));
  await new Promise((settle) => setTimeout(settle, 300));
  streams.forEach((req) => req.destroy());

  const cap = MOVERS * 20 * WATCHERS;
  console.log(
    `presence, ${WATCHERS} watchers of one document, ${MOVERS} movers posting with ${CONCURRENCY} requests in flight for ${seconds.toFixed(1)} s` +
      `${process.env.REDIS_URL ? ' (Redis)' : ' (in memory)'}:`,
  );
  console.log(`  moves accepted: ${posted} = ${Math.round(posted / seconds)}/s`);
  console.log(
    `  move events relayed to the watchers: ${relayed} = ${Math.round(relayed / seconds)}/s ` +
      `(${Math.round(relayed / seconds / WATCHERS)}/s per watcher; coalescing caps it at ${cap}/s)`,
  );
  const lost = movers.filter((m) => lastSeen.get(m.id) !== -1);
  console.log(
    `  watcher 0's last move of each mover is their final position: ${MOVERS - lost.length} of ${MOVERS}` +
      (lost.length ? ` (not for: ${lost.map((m) => m.id).join(', ')})` : ''),
  );
} finally {
  await service.stop();
  agent.destroy();
}
