// One load-generator process: holds its share of the streams as raw HTTP clients and
// counts what reaches them. Every notification's title carries its sequence number and
// when it was published (`b<seq>@<epoch ms>`), so each delivery's latency is measured
// where it lands. Driven by the coordinator (load-generator.js) over IPC.
import http from 'node:http';
import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '../../dist/config.js';

const now = () => performance.timeOrigin + performance.now();
// Nest's SseStream writes `event:` before `id:`, the others after: either order is read.
const TITLE =
  /^(?:event: [^\n]*\n)?id: (\S+)\n(?:event: [^\n]*\n)?data: [^\n]*?"title":"b(\d+)@([\d.]+)"/gm;

/** Stream by user id. */
const streams = new Map();
let recording = { deliveries: 0, first: 0, last: 0, perEvent: new Map(), samples: null };
/** Title events read since the start, for the CPU this process spends per event (`usage`). */
let received = 0;

function resetRecording(keepSamples) {
  recording = {
    deliveries: 0,
    first: 0,
    last: 0,
    perEvent: new Map(),
    samples: keepSamples ? [] : null,
  };
}

function onEvents(stream, text) {
  const at = now();
  TITLE.lastIndex = 0;
  let match;
  while ((match = TITLE.exec(text)) !== null) {
    stream.lastId = match[1];
    received += 1;
    const seq = Number(match[2]);
    const latency = at - Number(match[3]);
    stream.seqs?.push(seq);
    if (stream.excluded) continue;
    recording.deliveries += 1;
    if (recording.first === 0) recording.first = at;
    recording.last = at;
    let event = recording.perEvent.get(seq);
    if (!event) recording.perEvent.set(seq, (event = { count: 0, max: 0 }));
    event.count += 1;
    if (latency > event.max) event.max = latency;
    recording.samples?.push(latency);
  }
}

/**
 * Opens one stream; resolves once its `retry:` has arrived. `localAddress` (127.0.0.x): the
 * source address, each with its own ~28,000 ephemeral ports to one server port.
 */
function openStream(base, userId, lastEventId, localAddress) {
  const token = jwt.sign({ sub: userId }, DEV_JWT_SECRET, { algorithm: 'HS256', expiresIn: 7200 });
  const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  return new Promise((opened, fail) => {
    const request = http.get(`${base}/notifications/stream`, {
      agent: false,
      headers,
      localAddress,
    });
    const stream = streams.get(userId) ?? { userId, lastId: lastEventId ?? null };
    stream.request = request;
    stream.ended = false;
    stream.opened = false;
    streams.set(userId, stream);
    request.on('error', (error) => (stream.opened ? undefined : fail(error)));
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        fail(new Error(`stream of ${userId}: ${response.statusCode}`));
        response.resume();
        return;
      }
      stream.response = response;
      response.setEncoding('utf8');
      let pending = '';
      response.on('data', (chunk) => {
        const text = pending + chunk;
        const end = text.lastIndexOf('\n\n');
        if (end === -1) {
          pending = text;
          return;
        }
        pending = text.slice(end + 2);
        if (!stream.opened) {
          stream.opened = true;
          opened();
        }
        onEvents(stream, text.slice(0, end + 2));
      });
      // A stream the server cuts off mid-response ends with 'aborted' then 'close', not 'end'.
      response.on('error', () => undefined);
      response.on('close', () => (stream.ended = true));
    });
  });
}

async function openAll(base, users, localAddress) {
  let next = 0;
  const IN_FLIGHT = 64;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < users.length) await openStream(base, users[next++], null, localAddress);
    }),
  );
}

async function closeAll() {
  const closing = [];
  for (const stream of streams.values()) {
    if (!stream.ended) closing.push(new Promise((done) => stream.request.once('close', done)));
    stream.request.destroy();
  }
  await Promise.all(closing);
  streams.clear();
}

const commands = {
  open: ({ base, users, localAddress }) =>
    openAll(base, users, localAddress).then(() => ({ streams: streams.size })),
  record: ({ samples }) => resetRecording(samples),
  report: () => {
    const { deliveries, first, last, perEvent, samples } = recording;
    return { deliveries, first, last, perEvent: [...perEvent], samples };
  },
  close: () => closeAll(),
  /** What reading has cost this process so far: CPU (user + system) and title events read. */
  usage: () => {
    const { user, system } = process.cpuUsage();
    return { cpuMicros: user + system, received };
  },
  /** The slow consumer: stops reading (its socket's buffers fill up, then the server's). */
  pause: ({ userId }) => {
    const stream = streams.get(userId);
    stream.excluded = true;
    stream.seqs = [];
    stream.response.pause();
  },
  /** Reads on, and once the server has dropped it, resumes with Last-Event-ID. */
  resumeSlow: async ({ base, userId, expect }) => {
    const stream = streams.get(userId);
    const droppedByServer = new Promise((done) => stream.response.once('close', done));
    stream.response.resume();
    const dropped = await Promise.race([
      droppedByServer.then(() => true),
      new Promise((done) => setTimeout(() => done(false), 5000)),
    ]);
    const seenBeforeDrop = stream.seqs.length;
    if (dropped) await openStream(base, userId, stream.lastId);
    const deadline = Date.now() + 20000;
    while (new Set(stream.seqs).size < expect && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
    }
    return { dropped, seenBeforeDrop, seqs: stream.seqs };
  },
};

process.on('message', async ({ id, cmd, ...args }) => {
  try {
    const result = await commands[cmd](args);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.send({ ready: true });
