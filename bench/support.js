// What the benchmarks share: the built service as a child process, dev tokens, JSON POSTs.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '../dist/config.js';
import { stopProcess } from './processes.js';

/** A token signed with the development secret the service uses when JWT_SECRET is unset. */
export const devToken = (sub, roles = []) =>
  jwt.sign({ sub, roles }, DEV_JWT_SECRET, { algorithm: 'HS256', expiresIn: 3600 });

/**
 * Starts dist/main.js on a free loopback port with an empty DATA_DIR, limits lifted for
 * load, and `env` on top (`nodeArgs` before the script); resolves with its URL, its pid and a stop function.
 */
export function startService(env = {}, nodeArgs = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
  const child = spawn(process.execPath, [...nodeArgs, resolve('dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      HEARTBEAT_MS: '60000',
      MAX_STREAMS_PER_USER: '100000',
      // One user publishes everything in a benchmark.
      PUBLISH_RATE_LIMIT: '100000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ready, fail) => {
    let out = '';
    const watchStartUp = (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+:\d+)/.exec(out);
      if (!match) return;
      // From here on its log lines are drained unread: keeping them would load this process.
      child.stdout.off('data', watchStartUp);
      child.stdout.resume();
      ready({
        url: match[1],
        pid: child.pid,
        stop: async () => {
          await stopProcess(child);
          rmSync(dataDir, { recursive: true, force: true });
        },
      });
    };
    child.stdout.on('data', watchStartUp);
    child.once('exit', (code) => fail(new Error(`service exited with ${code}: ${out}`)));
  });
}

/** POSTs `body` as JSON; resolves when the answer has the expected status. */
export function postJson(url, { agent, token, body, status }) {
  return new Promise((done, fail) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === status ? done() : fail(new Error(`POST ${url}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

/**
 * A raw SSE stream of `userId` at `path`: `onBlock(block, receivedAt)` for each event block
 * (blank lines before it trimmed, `receivedAt` from performance.now() when its chunk came);
 * resolves with the request once a block passes `isReady`.
 */
export function openBlocks(url, { path, userId, isReady, onBlock }) {
  return new Promise((ready, fail) => {
    const req = http.get(
      `${url}${path}`,
      { headers: { Authorization: `Bearer ${devToken(userId)}` } },
      (res) => {
        if (res.statusCode !== 200) return fail(new Error(`stream ${userId}: ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk) => {
          const receivedAt = performance.now();
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end).replace(/^\n+/, '');
            buffer = buffer.slice(end + 2);
            if (isReady(block)) ready(req);
            else onBlock(block, receivedAt);
          }
        });
      },
    );
    req.on('error', fail);
  });
}
