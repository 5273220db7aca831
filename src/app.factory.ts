import 'reflect-metadata';
import type { NextFunction, Request, Response } from 'express';
import { LoggerService, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { AppModule } from './app.module.js';
import { gzipResponses } from './compression/gzip-responses.js';
import type { AppConfig } from './config.js';
import { corsOptions } from './cors.js';
import { serveDemoPage } from './demo/static-assets.js';
import { setupOpenApi } from './docs/openapi.js';
import { checkBodyShape } from './limits/body-shape.js';
import { jsonBodiesOnly } from './limits/json-bodies-only.js';
import { appLogging } from './logging/app-logging.js';
import { httpLogging } from './logging/http-logging.js';
import { RecordLogReason } from './logging/log-reason.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { MetricsService } from './metrics/metrics.service.js';
import { StorageUnavailableFilter } from './storage/storage-unavailable.filter.js';

/** Request bodies larger than this are refused with 413 (CONTRACT.md, "Publishing"). */
export const BODY_LIMIT = '64kb';

/** Builds the application, configured but not yet listening: `main.ts` and the tests share it. */
export async function createApp(
  config: AppConfig,
  logger?: LoggerService | false,
): Promise<NestExpressApplication> {
  // JSON lines through pino for Nest's own logs and the HTTP log (src/logging/).
  const logging = appLogging(logger);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    // Open streams would otherwise hold app.close() until every client left.
    forceCloseConnections: true,
    logger: logging.nest,
    // Only the JSON parser below: Nest's defaults would also take form-encoded bodies.
    bodyParser: false,
  });
  // Says nothing a client needs, and tells a scanner which framework to try.
  app.disable('x-powered-by');
  // First, so that every request, even a refused preflight, gets its id, its log line and
  // its place in the HTTP latency histogram.
  app.use(httpLogging(logging.http));
  const metrics = app.get(MetricsService);
  app.use(httpMetrics(metrics));
  // gzip for REST, the demo's files and the streams, flushed after every event (COMPRESSION).
  if (config.compression) app.use(gzipResponses());
  app.enableCors(corsOptions(config.corsOrigins));
  app.use(jsonBodiesOnly());
  // No reviver: JSON.parse is iterative without one, recursive (a stack overflow) with one.
  app.useBodyParser('json', { limit: BODY_LIMIT });
  // Depth, lone surrogates and prototype keys, before anything recursive sees the body.
  app.use(checkBodyShape());
  // Only where there are cookies: cookie-parser gives every request two dictionary-mode
  // objects, which an idle stream would hold for its whole life (issue 16); without a
  // Cookie header `request.cookies` stays undefined, which token-source.ts allows.
  const parseCookies = cookieParser();
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (request.headers.cookie === undefined) next();
    else parseCookies(request, response, next);
  });
  // Nest runs one global filter per error: the wrapper records the reason for the access
  // line, then the storage filter answers.
  app.useGlobalFilters(
    new RecordLogReason(
      new StorageUnavailableFilter(app.get(HttpAdapterHost).httpAdapter, () =>
        metrics.storageError('request'),
      ),
    ),
  );
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  // GET /docs (Swagger UI) and /docs-json, served outside the JWT guard.
  setupOpenApi(app);
  // GET / and its files, outside the JWT guard.
  serveDemoPage(app);
  // The streams end first on app.close(): presence streams in PresenceService.onModuleDestroy
  // (their users leave while the shared state still takes it), every other one in
  // StreamHub.beforeApplicationShutdown.
  return app;
}
