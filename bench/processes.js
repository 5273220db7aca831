// Child processes of the benchmark: servers and load-generator workers, each pinned to a
// core with taskset where the machine has one to spare, talking over IPC.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The server gets core 0 and the load generator core 1, when there are two cores and taskset. */
export const PINNING = cpus().length >= 2 && existsSync('/usr/bin/taskset');
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

/** Runs a Node script with an IPC channel, on `cpu` when pinning is possible. */
export function spawnNode(script, { cpu, nodeArgs = [], env = {} } = {}) {
  const args = [...nodeArgs, resolve(script)];
  const [command, argv] = PINNING
    ? ['/usr/bin/taskset', ['-c', cpu, process.execPath, ...args]]
    : [process.execPath, args];
  return spawn(command, argv, {
    env: { PATH: process.env.PATH, ...env },
    // A server's logs are not read: /dev/null costs it nothing.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

/**
 * SIGTERM (a server then exits on its own, writing its CPU profile if asked), SIGKILL if it
 * is still there after 10 s; resolves once it has exited.
 */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
}

/** Sends commands to a child over IPC and matches the answers by id. */
export class IpcPeer {
  #next = 0;
  #waiting = new Map();

  constructor(child) {
    this.child = child;
    child.on('message', (message) => {
      const waiter = this.#waiting.get(message.id);
      if (!waiter) return;
      this.#waiting.delete(message.id);
      if (message.error) waiter.fail(new Error(message.error));
      else waiter.done(message.result ?? message);
    });
  }

  request(message) {
    const id = ++this.#next;
    return new Promise((done, fail) => {
      this.#waiting.set(id, { done, fail });
      this.child.send({ ...message, id });
    });
  }
}

/** Resolves with the first message matching `test`, fails if the child exits first. */
export function firstMessage(child, test, what) {
  return new Promise((done, fail) => {
    const onMessage = (message) => {
      if (!test(message)) return;
      child.off('message', onMessage);
      done(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) =>
      fail(new Error(`${what} exited with ${code} before it was ready`)),
    );
  });
}

/** BENCH_PROFILE=service (or floor, tutorial; comma list): a CPU profile in bench/results/profiles. */
function profileArgs(kind) {
  const wanted = (process.env.BENCH_PROFILE ?? '').split(',');
  return wanted.includes(kind) ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : [];
}

/**
 * Starts one of the servers of bench/servers/ on the server core, with --expose-gc so that
 * memory is read after a full collection. Resolves with its URL, `stats(gc)` and `stop()`.
 */
export async function startServer(kind, env = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const child = spawnNode(`bench/servers/${kind}.js`, {
    cpu: SERVER_CPU,
    nodeArgs: ['--expose-gc', ...profileArgs(kind)],
    env: {
      DATA_DIR: dataDir,
      HEARTBEAT_MS: '60000',
      MAX_STREAMS: '100000',
      MAX_STREAMS_PER_USER: '100000',
      // One service identity publishes everything in a benchmark.
      PUBLISH_RATE_LIMIT: '100000000',
      ...env,
    },
  });
  const { port } = await firstMessage(child, (m) => m.type === 'listening', kind);
  const peer = new IpcPeer(child);
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    stats: (gc = false) => peer.request({ type: 'stats', gc }),
    stop: async () => {
      await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
