import { describe } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/**
 * A real redis-server for the tests, started on a free loopback port with
 * persistence off. Where the machine has no redis-server, the suites that need one
 * say so loudly and skip; with REQUIRE_REDIS=1 (set by CI) they fail instead.
 */
export class RedisServer {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  /** Starts (again) on the same port, as after an outage. */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    let output = '';
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`redis-server did not start: ${output}`)),
        10000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  }

  /** Stops the server (all data is lost: persistence is off). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * `describe` for suites that need redis-server: skipped, with a loud warning, on a
 * machine without one, unless REQUIRE_REDIS=1 makes that a failure.
 */
export function describeWithRedis(name: string, suite: () => void): void {
  if (redisServerInstalled()) {
    describe(name, suite);
    return;
  }
  if (process.env.REQUIRE_REDIS === '1') {
    throw new Error(`REQUIRE_REDIS=1 but redis-server is not installed: "${name}" cannot run`);
  }
  console.warn(
    `\n*** SKIPPED "${name}": redis-server is not installed (apt-get install redis-server). ` +
      'CI sets REQUIRE_REDIS=1 and fails instead. ***\n',
  );
  describe.skip(name, suite);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
