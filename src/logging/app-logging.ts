import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import { createRootLogger } from './logger.js';
import { PinoLoggerService } from './pino-logger.service.js';

/** Where Nest's lines and the HTTP access log go. */
export interface AppLogging {
  nest: LoggerService | false;
  http: Logger;
}

/**
 * The loggers for `createApp(config, logger)`:
 * - none given: the service's JSON logger on stdout;
 * - a {@link PinoLoggerService} (main.ts, tests capturing JSON): Nest and HTTP lines on it;
 * - `false`: silence (request ids are still given and echoed);
 * - another LoggerService (tests recording lines): it gets the HTTP lines too, as JSON
 *   text, so that what it records is everything the service would have logged.
 */
export function appLogging(logger: LoggerService | false | undefined): AppLogging {
  if (logger === undefined) logger = new PinoLoggerService(createRootLogger());
  if (logger instanceof PinoLoggerService) return { nest: logger, http: logger.pino };
  if (logger === false) return { nest: false, http: pino({ level: 'silent' }) };
  const target = logger;
  return {
    nest: target,
    http: createRootLogger({
      write: (line: string) => {
        target.log(line.trimEnd(), 'HTTP');
      },
    }),
  };
}
