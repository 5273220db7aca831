// The one way the benchmark reads a server it started: over the IPC channel, so that
// the floor, the tutorial design and the service are measured alike.
//   { type: 'stats', gc: true } → { rss, heapUsed, heapTotal, external, cpuMicros, timers, sockets, ...extra() }
// Run the server with --expose-gc: `gc` then collects twice before memory is read.

/** Answers stats requests; `extra` adds what only this server can count. */
export function answerStats(extra = () => ({})) {
  // Exiting (rather than dying by the signal) writes a --cpu-prof profile.
  if (process.listenerCount('SIGTERM') === 0) process.on('SIGTERM', () => process.exit(0));
  process.on('message', (message) => {
    if (message?.type !== 'stats') return;
    if (message.gc && typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    const resources = process.getActiveResourcesInfo();
    process.send({
      type: 'stats',
      id: message.id,
      rss,
      heapUsed,
      heapTotal,
      external,
      pid: process.pid,
      cpuMicros: user + system,
      timers: resources.filter((kind) => kind === 'Timeout').length,
      sockets: resources.filter((kind) => kind === 'TCPSocketWrap').length,
      ...extra(),
    });
  });
}

/** Tells the benchmark where the server listens. */
export function announce(server) {
  process.send({ type: 'listening', port: server.address().port });
}

/** The `sub` of a bearer token, read without checking the signature (the references trust it). */
export function subjectOf(request) {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub ?? null;
  } catch {
    return null;
  }
}

/** Reads a request's JSON body. */
export async function readJson(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return JSON.parse(body);
}

/** A notification as the service shapes it, so that every server sends the same bytes. */
export function notificationFor(id, recipient, { type, title, body = '' }, createdAt) {
  return { id: String(id), type, title, body, data: {}, recipient, actorId: 'bench', createdAt };
}

export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
};
