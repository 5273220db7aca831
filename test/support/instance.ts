import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { makeDataDir, removeDataDir } from './app.js';
import { eventually } from './wait.js';

/** The built service (dist/main.js, which `npm test` builds first) as its own process. */
export class Instance {
  output = '';
  url = '';
  /** Exited, with all its output read. */
  private closed = false;
  private constructor(
    private readonly child: ChildProcess,
    private readonly workDir: string,
  ) {
    const record = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout!.on('data', record);
    child.stderr!.on('data', record);
    child.once('close', () => (this.closed = true));
  }

  /** Starts it in an empty working directory on a free loopback port; `env` configures it. */
  static async start(env: Record<string, string> = {}): Promise<Instance> {
    const workDir = makeDataDir();
    const child = spawn(process.execPath, [resolve('dist/main.js')], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const instance = new Instance(child, workDir);
    await eventually(
      () => /listening on http:\/\/\S+:\d+/.test(instance.output) || instance.closed,
      'the instance to start',
      20000,
    );
    const match = /listening on (http:\/\/\S+:\d+)/.exec(instance.output);
    if (!match) {
      removeDataDir(workDir);
      throw new Error(`The instance exited with code ${child.exitCode}:\n${instance.output}`);
    }
    instance.url = match[1];
    return instance;
  }

  /**
   * Runs it with `env` as a process that should not start (a bad configuration): resolves
   * once it has exited, or after `killAfterMs` (then killed, with exitCode null), with what
   * it printed and how long it ran.
   */
  static async exitOf(
    env: Record<string, string>,
    killAfterMs = 10_000,
  ): Promise<{ exitCode: number | null; output: string; ms: number }> {
    const workDir = makeDataDir();
    const startedAt = Date.now();
    const child = spawn(process.execPath, [resolve('dist/main.js')], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const record = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', record);
    child.stderr.on('data', record);
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const [exitCode] = (await once(child, 'close')) as [number | null];
    clearTimeout(killer);
    removeDataDir(workDir);
    return { exitCode, output, ms: Date.now() - startedAt };
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Sends a signal and resolves with the exit code once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill(signal);
      await exited;
    }
    removeDataDir(this.workDir);
    return this.child.exitCode;
  }
}
