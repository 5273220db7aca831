import { ArgumentsHost, Catch, HttpStatus, Logger, type HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { TOO_MANY_COMMANDS_WAITING } from './redis/redis-connections.js';

/**
 * Errors that mean the storage backend refused a command before running it: whatever
 * the request wanted to write was not written.
 */
const NOT_SENT = [
  /enableOfflineQueue/, // ioredis while disconnected: commands fail at once, unsent
  new RegExp(TOO_MANY_COMMANDS_WAITING),
  /ECONNREFUSED/,
  /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN)/,
];

/**
 * Errors that mean a command was sent and its answer never came: Redis may have run it
 * (or may still run it, once a stall ends), so the request's outcome is unknown.
 */
const MAY_HAVE_RUN = [
  /Command timed out/, // REDIS_COMMAND_TIMEOUT_MS
  /Connection is closed/,
  /Reached the max retries per request/, // cut off by a dropped connection
  /ECONNRESET|ETIMEDOUT|EPIPE/,
];

/** What a storage failure says about the request's writes; null: not a storage failure. */
export type StorageOutcome = 'none' | 'unknown';

export function storageOutcome(error: unknown): StorageOutcome | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  const text = `${typeof code === 'string' ? code : ''} ${error.message}`.trim();
  const matches = (pattern: RegExp) => pattern.test(text) || pattern.test(error.message);
  if (NOT_SENT.some(matches)) return 'none';
  if (MAY_HAVE_RUN.some(matches)) return 'unknown';
  return null;
}

export function isStorageUnavailable(error: unknown): boolean {
  return storageOutcome(error) !== null;
}

/** Seconds a client should wait before it retries: a stall or a reconnect is that short. */
const RETRY_AFTER_SECONDS = 1;

/** Methods that change nothing: their 503 has no outcome to tell. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A request that fails because storage is down or does not answer in time answers 503
 * with `Retry-After` (retry later), not 500, and is logged once as an error. A request
 * that changes something says whether it changed nothing (`"outcome": "none"`: the
 * command was never sent) or whether that is unknown (`"outcome": "unknown"`: a command
 * was sent and no answer came, so it may have run). A retry with the same
 * `Idempotency-Key` is safe either way (idempotency.interceptor.ts). Everything else goes
 * to Nest's default handling.
 */
@Catch()
export class StorageUnavailableFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Storage');

  /** `onUnavailable` counts each such failure (the storage errors metric). */
  constructor(
    applicationRef?: HttpServer,
    private readonly onUnavailable: () => void = () => undefined,
  ) {
    super(applicationRef);
  }

  override catch(error: unknown, host: ArgumentsHost): void {
    const outcome = storageOutcome(error);
    if (outcome === null) {
      super.catch(error, host);
      return;
    }
    this.logger.error(`Storage unavailable: ${(error as Error).message}`);
    this.onUnavailable();
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    if (response.headersSent) return;
    const status = HttpStatus.SERVICE_UNAVAILABLE;
    response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    if (SAFE_METHODS.has(http.getRequest<Request>().method)) {
      response.status(status).json({
        statusCode: status,
        message: 'Storage is unavailable or did not answer in time. Retry later.',
        error: 'Service Unavailable',
      });
      return;
    }
    response.status(status).json({
      statusCode: status,
      message:
        outcome === 'none'
          ? 'Storage is unavailable; nothing was stored. Retry later.'
          : 'Storage did not answer in time or the connection was lost; the outcome is ' +
            'unknown: retry with the same Idempotency-Key, which never publishes twice',
      error: 'Service Unavailable',
      outcome,
    });
  }
}
