import type { LoggerService } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory.js';
import { AppConfig, loadConfig } from '../../src/config.js';
import { StreamHub } from '../../src/streaming/stream-hub.js';
import type { StreamRegistry } from '../../src/streaming/stream-registry.js';

// Where most suites import them from, with the app they wait on.
export { eventually, sleep } from './wait.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** http://127.0.0.1:<ephemeral port> */
  url: string;
  /** The notification streams, by user. */
  streams: StreamRegistry;
  close(): Promise<void>;
}

/** A fresh, empty DATA_DIR, removed by {@link removeDataDir}. */
export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'notification-hub-test-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the real application on an ephemeral loopback port. `env` is the
 * environment it is configured from, as `main.ts` would read it. Without a
 * DATA_DIR it gets an empty one of its own, removed when it closes.
 */
export async function startApp(
  env: Record<string, string> = {},
  logger: LoggerService | false = false,
): Promise<TestApp> {
  const ownDataDir = env.DATA_DIR ? null : makeDataDir();
  const config = loadConfig({ ...env, ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}) });
  const app = await createApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    config,
    url: `http://127.0.0.1:${address.port}`,
    streams: app.get(StreamHub).users,
    close: async () => {
      await app.close();
      if (ownDataDir) removeDataDir(ownDataDir);
    },
  };
}
