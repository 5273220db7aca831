import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory.js';
import { AppConfig, loadConfig } from '../../src/config.js';
import { StreamRegistry } from '../../src/streaming/stream-registry.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** http://127.0.0.1:<ephemeral port> */
  url: string;
  streams: StreamRegistry;
  close(): Promise<void>;
}

/**
 * Starts the real application on an ephemeral loopback port. `env` is the
 * environment it is configured from, as `main.ts` would read it.
 */
export async function startApp(
  env: Record<string, string> = {},
  logger: LoggerService | false = false,
): Promise<TestApp> {
  const config = loadConfig(env);
  const app = await createApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    config,
    url: `http://127.0.0.1:${address.port}`,
    streams: app.get(StreamRegistry),
    close: () => app.close(),
  };
}

/** Polls until `condition` holds, or fails with `what` after `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
