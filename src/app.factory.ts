import 'reflect-metadata';
import { LoggerService, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config.js';
import { StorageUnavailableFilter } from './storage/storage-unavailable.filter.js';
import { StreamRegistry } from './streaming/stream-registry.js';

/** Request bodies larger than this are refused with 413 (CONTRACT.md, "Publishing"). */
export const BODY_LIMIT = '64kb';

/**
 * Nest's ValidationPipe deletes `__proto__`, `prototype` and `constructor` keys at any
 * depth (a defence against prototype pollution). Deleting what a client sent would
 * store something else than it asked for, so such a body is refused (400) instead.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (PROTOTYPE_KEYS.has(key)) {
    throw new SyntaxError(`The key "${key}" is not allowed anywhere in a request body`);
  }
  return value;
}

/** Builds the application, configured but not yet listening: `main.ts` and the tests share it. */
export async function createApp(
  config: AppConfig,
  logger?: LoggerService | false,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    // Open streams would otherwise hold app.close() until every client left.
    forceCloseConnections: true,
    ...(logger !== undefined ? { logger } : {}),
  });
  app.useBodyParser('json', { limit: BODY_LIMIT, reviver: refusePrototypeKeys });
  app.use(cookieParser());
  app.useGlobalFilters(new StorageUnavailableFilter(app.get(HttpAdapterHost).httpAdapter));
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  // End the streams first, so that clients reconnect (elsewhere) instead of hanging.
  const close = app.close.bind(app);
  app.close = async () => {
    app.get(StreamRegistry).endAll();
    await close();
  };
  return app;
}
