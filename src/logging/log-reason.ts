import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { redactText } from './redact.js';

/**
 * Why a request was refused, kept beside its response until the access line is written
 * (http-logging.ts), so that a 4xx line says what the client was told. Weakly held: the
 * entry goes with the response.
 */
const reasons = new WeakMap<object, string>();

/** Records why `response` is an error; the last word wins. Secrets are redacted here. */
export function setLogReason(response: object, reason: string): void {
  reasons.set(response, redactText(reason));
}

export function logReasonOf(response: object): string | undefined {
  return reasons.get(response);
}

/**
 * The message of an HTTP exception as its body states it (Nest's `message`, which the
 * ValidationPipe makes a list of), or the message of any other error.
 */
export function reasonOf(error: unknown): string | undefined {
  if (error instanceof HttpException) {
    const body = error.getResponse();
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    return typeof message === 'string' ? message : error.message;
  }
  // Body-parser errors (400 bad JSON, 413) carry their status and a message of their own.
  return error instanceof Error ? error.message : undefined;
}

/**
 * Wraps the app's one global exception filter: every exception that becomes a response
 * leaves its reason for the access line, then the wrapped filter answers as before.
 */
@Catch()
export class RecordLogReason implements ExceptionFilter {
  constructor(private readonly inner: ExceptionFilter) {}

  catch(error: unknown, host: ArgumentsHost): unknown {
    const reason = reasonOf(error);
    if (host.getType() === 'http' && reason !== undefined) {
      setLogReason(host.switchToHttp().getResponse<object>(), reason);
    }
    return this.inner.catch(error, host);
  }
}
