import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { redactText } from './redact.js';
import { currentRequestId } from './request-context.js';

/** A V8 stack trace, as Nest passes it to `error()` before the context. */
const STACK = /^.*\n\s+at .+/;

/**
 * Nest's LoggerService over pino, so that the framework's own lines and every
 * `new Logger(...)` in src/ come out as JSON on the same stream as the HTTP log.
 * Nest calls `log(message, ...params)` with the context last and, for errors, a
 * stack before it. A message may be an object (fields of the line, with `msg`).
 * Text is redacted (tokens in a URL someone logged) and the id of the request
 * being served, if any, is added.
 */
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const requestId = currentRequestId();
    if (requestId) fields.requestId = requestId;
    const { context, stack } = contextAndStack(params);
    if (context) fields.context = context;
    if (stack) fields.stack = redactText(stack);
    let text: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      text = redactText(message.message);
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
    } else {
      text = redactText(String(message));
    }
    this.pino[level](fields, text);
  }
}

/** Nest's conventions: the last string is the context; before it, an error's stack. */
function contextAndStack(params: unknown[]): { context?: string; stack?: string } {
  const strings = params.filter((param): param is string => typeof param === 'string');
  if (params.length >= 2) {
    const last = params[params.length - 1];
    const first = params[0];
    return {
      context: typeof last === 'string' ? last : undefined,
      stack: typeof first === 'string' ? first : undefined,
    };
  }
  if (strings.length === 1) {
    return STACK.test(strings[0]) ? { stack: strings[0] } : { context: strings[0] };
  }
  return {};
}
