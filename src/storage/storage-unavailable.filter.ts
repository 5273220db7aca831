import { ArgumentsHost, Catch, HttpStatus, Logger, type HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

/** Errors that mean the storage backend cannot be reached or written right now. */
const UNAVAILABLE = [
  /enableOfflineQueue/, // ioredis while disconnected: commands fail at once
  /Connection is closed/,
  /Reached the max retries per request/,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT/,
  /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN)/,
];

export function isStorageUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const text = `${typeof code === 'string' ? code : ''} ${error.message}`.trim();
  return UNAVAILABLE.some((pattern) => pattern.test(text) || pattern.test(error.message));
}

/**
 * A request that fails because storage is down answers 503 (retry later), not 500,
 * and is logged once as an error. Everything else goes to Nest's default handling.
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
    if (!isStorageUnavailable(error)) {
      super.catch(error, host);
      return;
    }
    this.logger.error(`Storage unavailable: ${(error as Error).message}`);
    this.onUnavailable();
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    response.status(HttpStatus.SERVICE_UNAVAILABLE).json({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      message: 'Storage is unavailable; nothing was changed. Retry later.',
      error: 'Service Unavailable',
    });
  }
}
