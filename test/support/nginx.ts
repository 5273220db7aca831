import { describe } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sleep } from './wait.js';

const NGINX = '/usr/sbin/nginx';

/**
 * A real nginx for the tests, as a non-daemon child, serving one of the shipped site
 * configurations (deploy/nginx/*.conf) inside a minimal main configuration whose files
 * all live in a temporary directory.
 */
export class Nginx {
  output = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
  ) {
    const record = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout!.on('data', record);
    child.stderr!.on('data', record);
  }

  /** Starts nginx with `site` (the text of a site configuration) and waits for `port`. */
  static async start(site: string, port: number, dir = Nginx.makeDir()): Promise<Nginx> {
    writeFileSync(join(dir, 'site.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`)
      .join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;\nevents { worker_connections 256; }\nhttp {\n${temp}\n` +
        `  access_log ${join(dir, 'access.log')};\n  include ${join(dir, 'site.conf')};\n}\n`,
    );
    const child = spawn(
      NGINX,
      [
        '-p',
        dir,
        '-c',
        join(dir, 'nginx.conf'),
        '-g',
        `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const nginx = new Nginx(child, dir);
    await waitForPort(port, () => child.exitCode !== null);
    if (child.exitCode !== null) {
      throw new Error(`nginx exited with ${child.exitCode}:\n${nginx.output}`);
    }
    return nginx;
  }

  /** A temporary directory for nginx's files (and a test's certificate). */
  static makeDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'nginx-test-'));
    mkdirSync(join(dir, 'logs'));
    return dir;
  }

  /** The access log so far: one line per request, with its status. */
  get accessLog(): string {
    try {
      return readFileSync(join(this.dir, 'access.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Fast shutdown (open streams are cut), then its files are removed. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves once something accepts connections on `port`, or `gaveUp` says to stop trying. */
async function waitForPort(port: number, gaveUp: () => boolean): Promise<void> {
  const deadline = Date.now() + 10000;
  while (!gaveUp() && Date.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await sleep(50);
  }
}

/** The text of a shipped configuration file, e.g. `deploy/nginx/http1.conf`. */
export function shippedConfig(path: string): string {
  return readFileSync(resolve(path), 'utf8');
}

/**
 * Replaces `from` with `to` in a shipped configuration, failing when `from` is not there:
 * a test must not silently run a configuration other than the one shipped.
 */
export function rewrite(config: string, from: string, to: string): string {
  if (!config.includes(from)) throw new Error(`The configuration has no "${from}" to rewrite`);
  return config.split(from).join(to);
}

export function nginxInstalled(): boolean {
  return spawnSync(NGINX, ['-v']).status === 0;
}

/**
 * `describe` for suites that need nginx: skipped, with a loud warning, on a machine
 * without one, unless CI=true or REQUIRE_NGINX=1 makes that a failure.
 */
export function describeWithNginx(name: string, suite: () => void): void {
  if (nginxInstalled()) {
    describe(name, suite);
    return;
  }
  if (process.env.REQUIRE_NGINX === '1' || process.env.CI === 'true') {
    throw new Error(`nginx is not installed (${NGINX}) but CI needs "${name}" to run`);
  }
  console.warn(
    `\n*** SKIPPED "${name}": nginx is not installed (apt-get install nginx). ` +
      'Under CI=true this fails instead. ***\n',
  );
  describe.skip(name, suite);
}
