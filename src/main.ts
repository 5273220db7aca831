import type { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type AppConfig } from './config.js';
import { consoleDestination } from './logging/console-destination.js';
import { createRootLogger } from './logging/logger.js';
import { prepareDataDir } from './storage/sqlite/data-dir.js';

/**
 * The configuration, every variable checked (DATA_DIR too, where the embedded store
 * will use it), or, for a bad value, one JSON line naming it and exit code 1.
 * This runs before Nest and the application are even loaded: on a busy machine that
 * alone takes seconds, and a bad configuration must stop the process within 5 s
 * (CONTRACT.md, "Start-up and configuration").
 */
function checkedConfig(root: ReturnType<typeof createRootLogger>): AppConfig {
  try {
    const config = loadConfig(process.env);
    if (!config.redisUrl) prepareDataDir(config.dataDir);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    root.error({ context: 'Bootstrap' }, `Configuration: ${error.message}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  // JSON lines on stdout from the very first one, a configuration error included
  // (readable lines instead at a terminal in development: console-destination.ts).
  const root = createRootLogger(await consoleDestination());
  const config = checkedConfig(root);
  const [nest, { createApp }, { PinoLoggerService }] = await Promise.all([
    import('@nestjs/common'),
    import('./app.factory.js'),
    import('./logging/pino-logger.service.js'),
  ]);
  const jsonLogger = new PinoLoggerService(root);
  nest.Logger.overrideLogger(jsonLogger);
  const logger = new nest.Logger('Bootstrap');
  if (config.workers > 1 && cluster.isPrimary) {
    runWorkers(config.workers, logger);
    return;
  }
  if (config.jwt.usingDevSecret) {
    logger.warn(
      'JWT_SECRET is not set: tokens are signed and checked with a fixed DEVELOPMENT secret. ' +
        'Never run like this in production (NODE_ENV=production refuses to start without a key).',
    );
  }
  const app = await createApp(config, jsonLogger);
  exitOnSignals(() => {
    // Stop accepting connections before the streams end, so that no reconnect reaches
    // this instance while it waits for their last bytes to go out (endForShutdown).
    app.getHttpServer().close();
    return app.close();
  }, logger);
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as { port: number };
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${shown}:${port}`;
  logger.log(`Notification service listening on ${base}`);
  logger.log(`Health: ${base}/health   Stream: ${base}/notifications/stream`);
  logger.log(`Demo page: ${base}/   (open it in two browser windows, signed in as two users)`);
  if (!config.production) {
    logger.log(
      `Mint a dev token: npm run -s token -- alice --roles admin (or POST ${base}/dev/token) then: ` +
        `curl -N -H "Authorization: Bearer $TOKEN" ${base}/notifications/stream`,
    );
  }
}

/**
 * WORKERS=N (with REDIS_URL, which the configuration checks): N full instances of the
 * service sharing the port through Node's cluster module, coordinated through Redis.
 * The primary only forks, restarts a worker that dies, and passes SIGTERM on.
 */
function runWorkers(count: number, logger: Logger): void {
  let stopping = false;
  // A worker that failed its shutdown fails the whole stop: a supervisor must hear of it.
  let failedShutdown = false;
  logger.log(`Starting ${count} workers`);
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code !== 0) {
        failedShutdown = true;
        logger.error(`Worker ${worker.process.pid} failed its shutdown (${signal ?? code})`);
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failedShutdown ? 1 : 0);
      return;
    }
    logger.error(`Worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 9000;

/**
 * SIGTERM/SIGINT: stop listening, end the open streams (clients reconnect and
 * resume elsewhere), run Nest's shutdown hooks through `close`, exit 0. Nest's own
 * `enableShutdownHooks` re-raises the signal afterwards, which would end the
 * process by signal instead of with code 0.
 */
function exitOnSignals(close: () => Promise<void>, logger: Logger): void {
  const shutdown = (signal: NodeJS.Signals) => {
    logger.log(`${signal}: closing streams and shutting down`);
    setTimeout(() => {
      logger.error(`Shutdown took over ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void main();
