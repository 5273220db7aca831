import {
  BadRequestException,
  CallHandler,
  ConflictException,
  ExecutionContext,
  HttpException,
  Injectable,
  Logger,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { IdempotencyStore, type StoredAnswer } from '../storage/idempotency-store.js';
import { RequestWrites, runAsRequest } from '../storage/request-writes.js';
import { requestFingerprint } from './request-fingerprint.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** How long a key and its answer are kept (CONTRACT.md: "in the last 24 hours"). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long a claim holds without an answer: only a process that died mid-request leaves
 * one unanswered, and its key must not stay blocked for a day.
 */
const LEASE_MS = 60_000;

/** How long a duplicate waits for the first request's answer before it gets 409 instead. */
const WAIT_MS = 5_000;
const POLL_MS = 20;

/** 1 to 200 printable ASCII characters. */
const VALID_KEY = /^[\x20-\x7e]{1,200}$/;

/**
 * Client errors that a repeat of the same request would get again, and so are stored;
 * 408 and 429 depend on the moment, and 401 never reaches a handler.
 */
const isDeterministic = (status: number) =>
  status >= 400 && status < 500 && ![401, 408, 429].includes(status);

/**
 * Idempotent publishing (CONTRACT.md, "Publishing"). A request with an `Idempotency-Key`
 * claims the key for its caller before the handler runs; the handler's answer (a 2xx, or
 * a client error a repeat would get again) is stored and given to every repeat with the
 * same method, path and body for 24 hours, which then publishes nothing. A different
 * request with the key gets 409. A repeat arriving while the first still runs waits for
 * its answer (up to {@link WAIT_MS}; then 409 with `Retry-After`): a client that retried
 * after a timeout wants the answer, not an error. A 5xx releases the claim, so that a
 * retry runs the request again. That is safe also after a 503 whose outcome is unknown
 * (a Redis command sent and not answered: it may have run, or may still run when a stalled
 * Redis wakes): the request's writes are recorded under names that every run of it shares
 * (storage/request-writes.ts), so each write happens once, and a retry answers with what
 * the first run stored (same ids) and publishes nothing more. Runs after the guards: an
 * unauthenticated, forbidden or rate-limited request claims nothing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user: AuthUser }>();
    const key = request.headers[IDEMPOTENCY_HEADER.toLowerCase()];
    if (key === undefined) return next.handle();
    // Nest sets the status after the interceptors; a POST's is 201 unless @HttpCode says.
    const status =
      (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ?? 201;
    return from(this.run(request, http.getResponse<Response>(), String(key), status, next));
  }

  private async run(
    request: Request & { user: AuthUser },
    response: Response,
    key: string,
    status: number,
    next: CallHandler,
  ): Promise<unknown> {
    if (!VALID_KEY.test(key)) {
      throw new BadRequestException(
        `${IDEMPOTENCY_HEADER} must be 1 to 200 printable ASCII characters`,
      );
    }
    const scope = request.user.id;
    const path = request.originalUrl.split('?')[0];
    const fingerprint = requestFingerprint(request.method, path, request.body);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const claim = await this.store.claim(scope, key, fingerprint, LEASE_MS);
      if (claim.state !== 'claimed' && claim.fingerprint !== fingerprint) {
        throw new ConflictException(
          `${IDEMPOTENCY_HEADER} "${key}" was already used for a different request ` +
            '(another method, path or body); use a new key',
        );
      }
      if (claim.state === 'done') return replay(response, claim.answer);
      if (claim.state === 'claimed') {
        return this.runClaimed(scope, key, claim.token, fingerprint, status, next);
      }
      if (Date.now() >= deadline) {
        response.setHeader('Retry-After', '1');
        throw new ConflictException(
          `${IDEMPOTENCY_HEADER} "${key}": the first request with this key is still running; ` +
            'retry with the same key to get its answer',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async runClaimed(
    scope: string,
    key: string,
    token: string,
    fingerprint: string,
    status: number,
    next: CallHandler,
  ): Promise<unknown> {
    let answer: StoredAnswer;
    // Every run of this request (same caller, key and body) names its writes alike, so
    // that a run after a 503 of unknown outcome finds what an earlier run stored.
    const writes = new RequestWrites(
      `${scope.length}:${scope}:${key.length}:${key}:${fingerprint}`,
      IDEMPOTENCY_TTL_MS,
    );
    try {
      const body: unknown = await runAsRequest(writes, () => lastValueFrom(next.handle()));
      answer = { status, body: toJson(body) };
    } catch (error) {
      const failed = error instanceof HttpException ? error.getStatus() : 500;
      if (!isDeterministic(failed)) {
        // Not awaited: when storage did not answer the request, the release would not be
        // answered either, and the client would wait for it twice. Until it runs, a retry
        // waits for this claim (then 409, retry later), and runs once the claim is gone.
        this.store
          .release(scope, key, token)
          .catch((failure: Error) =>
            this.logger.error(`Could not release key ${key} of ${scope}: ${failure.message}`),
          );
        throw error;
      }
      await this.save(scope, key, token, fingerprint, {
        status: failed,
        body: (error as HttpException).getResponse(),
      });
      throw error;
    }
    await this.save(scope, key, token, fingerprint, answer);
    return answer.body;
  }

  /**
   * A publish that succeeded is answered even when its answer cannot be stored: the
   * claim then lapses with its lease, and a retry after that runs again.
   */
  private async save(
    scope: string,
    key: string,
    token: string,
    fingerprint: string,
    answer: StoredAnswer,
  ): Promise<void> {
    try {
      await this.store.complete(scope, key, token, fingerprint, answer, IDEMPOTENCY_TTL_MS);
    } catch (failure) {
      this.logger.error(
        `Could not store the answer for key ${key} of ${scope}: ${(failure as Error).message}`,
      );
    }
  }
}

/** The body as the client gets it (Express sends JSON.stringify of it), so a replay is equal. */
function toJson(body: unknown): unknown {
  return body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown);
}

function replay(response: Response, answer: StoredAnswer): unknown {
  response.setHeader('Idempotent-Replayed', 'true');
  if (answer.status >= 400) {
    throw new HttpException(answer.body as Record<string, unknown>, answer.status);
  }
  return answer.body;
}
