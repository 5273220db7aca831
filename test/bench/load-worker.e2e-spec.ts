import { afterEach, describe, expect, it } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { resolve } from 'node:path';
import { eventually, sleep } from '../support/wait.js';

/**
 * The benchmark's load worker (bench/load/worker.js) reads its streams off raw sockets,
 * decoding HTTP itself. Here it is driven over IPC as load-generator.js drives it, against a
 * server that writes crafted bytes: chunks and events cut across TCP writes, the slow
 * consumer's pause, drop and resume with Last-Event-ID, and a refused stream.
 */
describe('bench/load/worker.js over raw sockets', () => {
  let worker: ChildProcess | null = null;
  let server: net.Server | null = null;

  afterEach(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = once(worker, 'exit');
      worker.kill('SIGKILL');
      await exited;
    }
    worker = null;
    server?.close();
    server = null;
  });

  interface Connection {
    socket: net.Socket;
    user: string;
    lastEventId: string | undefined;
  }

  /** A server that answers 200 with a chunked `retry:` and leaves the rest to the test. */
  async function startServer() {
    const connections: Connection[] = [];
    server = net.createServer((socket) => {
      socket.setNoDelay(true);
      let head = '';
      const onData = (piece: Buffer) => {
        head += piece.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        const jwt = /^Authorization: Bearer (\S+)\r$/m.exec(head)![1];
        const { sub } = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as {
          sub: string;
        };
        if (sub === 'refused') {
          socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\n\r\nretry: 1\n\n\n\n');
          return;
        }
        expect(head).toMatch(/^GET \/notifications\/stream HTTP\/1\.1\r\n/);
        expect(head).toMatch(/^Accept: text\/event-stream\r$/m);
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' +
            chunk('retry: 3000\n\n'),
        );
        const lastEventId = /^Last-Event-ID: (\S+)\r$/im.exec(head)?.[1];
        connections.push({ socket, user: sub, lastEventId });
      };
      socket.on('data', onData);
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    return { base: `http://127.0.0.1:${port}`, connections };
  }

  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
  /** Nest's order (`event:` first) or the floor's (`id:` first). */
  const event = (seq: number, nest = false, body = '') => {
    const data = `data: {"id":"${seq}","title":"b${seq}@${Date.now()}","body":"${body}"}\n`;
    return nest
      ? `event: bench.event\nid: ${seq}\n${data}\n`
      : `id: ${seq}\nevent: bench.event\n${data}\n`;
  };

  function startWorker() {
    const child = fork(resolve('bench/load/worker.js'), [], { stdio: 'inherit' });
    worker = child;
    let next = 0;
    const request = (cmd: string, args: Record<string, unknown> = {}) =>
      new Promise<Record<string, unknown>>((done, fail) => {
        const id = ++next;
        const onMessage = (message: { id?: number; result?: unknown; error?: string }) => {
          if (message.id !== id) return;
          child.off('message', onMessage);
          if (message.error) fail(new Error(message.error));
          else done(message.result as Record<string, unknown>);
        };
        child.on('message', onMessage);
        child.send({ id, cmd, ...args });
      });
    return { request, ready: once(child, 'message') };
  }

  it('reads events cut anywhere by TCP and chunking, in either field order', async () => {
    const { base, connections } = await startServer();
    const { request, ready } = startWorker();
    await ready;
    expect(await request('open', { base, users: ['ada', 'bob'] })).toEqual({ streams: 2 });
    await request('record', { samples: true });
    // Two events in one chunk; an event over two chunks; chunk-size lines and events cut
    // across TCP writes (each write its own segment, read apart: 20 ms between them).
    const bytes = Buffer.from(
      chunk(': heartbeat\n\n') +
        chunk(event(1, true) + event(2)) +
        chunk(event(3, true).slice(0, 30)) +
        chunk(event(3, true).slice(30) + event(4).slice(0, 5)) +
        chunk(event(4).slice(5)),
    );
    const cuts = [3, 40, bytes.indexOf('\r\n', 60) + 1, bytes.length - 70, bytes.length - 2];
    for (const [start, end] of [0, ...cuts].map((cut, i) => [cut, [...cuts, bytes.length][i]])) {
      for (const { socket } of connections) socket.write(bytes.subarray(start, end));
      await sleep(20);
    }
    let report = await request('report');
    for (let tries = 0; report.deliveries !== 8 && tries < 100; tries++) {
      await sleep(20);
      report = await request('report');
    }
    expect(
      (report.perEvent as [number, { count: number }][]).map(([seq, e]) => [seq, e.count]),
    ).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
    ]);
    // Latencies taken where the bytes landed: small and never negative.
    expect((report.samples as number[]).every((ms) => ms >= 0 && ms < 5000)).toBe(true);
    await request('close');
    await eventually(() => connections.every(({ socket }) => socket.closed), 'closed sockets');
  });

  it('stops reading when paused, and after the drop resumes with the last id it read', async () => {
    const { base, connections } = await startServer();
    const { request, ready } = startWorker();
    await ready;
    await request('open', { base, users: ['slow'] });
    await request('pause', { userId: 'slow' });
    // 2,000 events of 9 KB: more than the socket buffers hold when nobody reads.
    const events = 2000;
    const slow = connections[0].socket;
    for (let seq = 1; seq <= events; seq++) slow.write(chunk(event(seq, true, 'x'.repeat(9000))));
    await sleep(300);
    const unsent = slow.writableLength;
    expect(unsent).toBeGreaterThan(0);
    // The server drops it with what it has not sent yet, as the service drops a slow consumer.
    slow.destroy();
    const resumed = request('resumeSlow', { base, userId: 'slow', expect: events });
    await eventually(() => connections.length === 2, 'the reconnection');
    const again = connections[1];
    const from = Number(again.lastEventId);
    for (let seq = from + 1; seq <= events; seq++) again.socket.write(chunk(event(seq)));
    const { dropped, seenBeforeDrop, seqs } = (await resumed) as {
      dropped: boolean;
      seenBeforeDrop: number;
      seqs: number[];
    };
    expect(dropped).toBe(true);
    // It read what reached it before the drop, resumed after the last of those, and got the rest.
    expect(seenBeforeDrop).toBeGreaterThan(0);
    expect(seenBeforeDrop).toBeLessThan(events);
    expect(from).toBe(seqs[seenBeforeDrop - 1]);
    expect(seqs).toEqual(Array.from({ length: events }, (_, i) => i + 1));
    await request('close');
  });

  it('fails to open a stream that is not answered 200', async () => {
    const { base } = await startServer();
    const { request, ready } = startWorker();
    await ready;
    await expect(request('open', { base, users: ['refused'] })).rejects.toThrow(
      'stream of refused: 401',
    );
  });
});
