// A throwaway redis-server for a benchmark: a free loopback port, persistence off.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { stopProcess } from './processes.js';

function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

/** Resolves with its URL, its pid and `stop()` once it accepts connections. */
export async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((ready, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) ready();
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop: () => stopProcess(child) };
}
