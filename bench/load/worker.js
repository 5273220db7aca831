// One load-generator process: holds its share of the streams as raw HTTP clients and
// counts what reaches them. Every notification's title carries its sequence number and
// when it was published (`b<seq>@<epoch ms>`), so each delivery's latency is measured
// where it lands. Driven by the coordinator (load-generator.js) over IPC.
// Streams are plain sockets read by sse-reader.js rather than Node's HTTP client: this
// process shares the cores with the servers it measures, so it must cost little per event.
import { createSecretKey } from 'node:crypto';
import net from 'node:net';
import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '../../dist/config.js';
import { SseReader } from './sse-reader.js';

const now = () => performance.timeOrigin + performance.now();
// A key object made once: given the string, jsonwebtoken first tries it as a private key
// and fails, for every token (most of the CPU of opening streams).
const SECRET = createSecretKey(Buffer.from(DEV_JWT_SECRET));

/** Stream by user id. */
const streams = new Map();
let recording = { deliveries: 0, first: 0, last: 0, perEvent: new Map(), samples: null };
/** Title events read since the start, for the CPU this process spends per event (`usage`). */
let received = 0;
/** When the bytes being read landed: taken once per read, before parsing them. */
let landedAt = 0;
/**
 * One read buffer for every socket (net's `onread`): no Buffer and no stream machinery
 * ('data' events) per read. Safe because each read is parsed before the next one lands.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function resetRecording(keepSamples) {
  recording = {
    deliveries: 0,
    first: 0,
    last: 0,
    perEvent: new Map(),
    samples: keepSamples ? [] : null,
  };
}

function onTitle(stream, id, seq, publishedAt) {
  const at = landedAt;
  stream.lastId = id;
  received += 1;
  const latency = at - publishedAt;
  stream.seqs?.push(seq);
  if (stream.excluded) return;
  recording.deliveries += 1;
  if (recording.first === 0) recording.first = at;
  recording.last = at;
  let event = recording.perEvent.get(seq);
  if (!event) recording.perEvent.set(seq, (event = { count: 0, max: 0 }));
  event.count += 1;
  if (latency > event.max) event.max = latency;
  recording.samples?.push(latency);
}

/**
 * Opens one stream; resolves once its `retry:` (its first event) has arrived. `localAddress`
 * (127.0.0.x): the source address, each with its own ~28,000 ephemeral ports to one server port.
 */
function openStream(base, userId, lastEventId, localAddress) {
  const url = new URL(base);
  const token = jwt.sign({ sub: userId }, SECRET, { algorithm: 'HS256', expiresIn: 7200 });
  const request =
    `GET /notifications/stream HTTP/1.1\r\nHost: ${url.host}\r\n` +
    `Authorization: Bearer ${token}\r\nAccept: text/event-stream\r\n` +
    (lastEventId ? `Last-Event-ID: ${lastEventId}\r\n` : '') +
    'Connection: keep-alive\r\n\r\n';
  return new Promise((opened, fail) => {
    const stream = streams.get(userId) ?? { userId, lastId: lastEventId ?? null };
    const reader = new SseReader((id, seq, publishedAt) => onTitle(stream, id, seq, publishedAt));
    const onRead = (length, buffer) => {
      landedAt = now();
      reader.push(buffer, length);
      if (stream.opened) return;
      if (reader.status !== 0 && reader.status !== 200) {
        fail(new Error(`stream of ${userId}: ${reader.status}`));
        socket.destroy();
      } else if (reader.events > 0) {
        stream.opened = true;
        opened();
      }
    };
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      localAddress,
      onread: { buffer: READ_BUFFER, callback: onRead },
    });
    stream.socket = socket;
    stream.ended = false;
    stream.opened = false;
    streams.set(userId, stream);
    socket.write(request);
    // A stream the server cuts off may end with a reset: 'error', then 'close'.
    socket.on('error', (error) => (stream.opened ? undefined : fail(error)));
    socket.on('close', () => {
      stream.ended = true;
      if (!stream.opened) fail(new Error(`stream of ${userId}: closed before its first event`));
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
    if (!stream.ended) closing.push(new Promise((done) => stream.socket.once('close', done)));
    stream.socket.destroy();
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
    stream.socket.pause();
  },
  /** Reads on, and once the server has dropped it, resumes with Last-Event-ID. */
  resumeSlow: async ({ base, userId, expect }) => {
    const stream = streams.get(userId);
    const droppedByServer = stream.ended
      ? Promise.resolve()
      : new Promise((done) => stream.socket.once('close', done));
    stream.socket.resume();
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
