import { describe } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A real redis-server for the tests, started on a free loopback port with
 * persistence off. Where the machine has no redis-server, the suites that need one
 * say so loudly and skip; under CI=true or REQUIRE_REDIS=1 they fail instead.
 */
export class RedisServer {
  private process: ChildProcess | null = null;

  /** `dataDir`: where a persistent server keeps its append-only file; null for none. */
  private constructor(
    readonly port: number,
    private readonly dataDir: string | null,
    private readonly debugCommand = false,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * `persistent`: keep data across a stop and start (append-only file, synced on every
   * write), as a production Redis would; otherwise nothing is kept. `debugCommand`: allow
   * `DEBUG` from loopback clients, so that a test can stall the server (`DEBUG SLEEP`).
   */
  static async start({ persistent = false, debugCommand = false } = {}): Promise<RedisServer> {
    const dataDir = persistent ? mkdtempSync(join(tmpdir(), 'redis-test-')) : null;
    const server = new RedisServer(await freePort(), dataDir, debugCommand);
    await server.start();
    return server;
  }

  /** Starts (again) on the same port, as after an outage. */
  async start(): Promise<void> {
    const persistence = this.dataDir
      ? ['--dir', this.dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        ...(this.debugCommand ? ['--enable-debug-command', 'local'] : []),
      ],
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

  /** Stops the server, as a crash would; a non-persistent one loses its data. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops it for good and removes its files. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
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
  if (process.env.REQUIRE_REDIS === '1' || process.env.CI === 'true') {
    throw new Error(`redis-server is not installed but CI needs "${name}" to run`);
  }
  console.warn(
    `\n*** SKIPPED "${name}": redis-server is not installed (apt-get install redis-server). ` +
      'Under CI=true this fails instead. ***\n',
  );
  describe.skip(name, suite);
}
