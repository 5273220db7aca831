import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IDEMPOTENCY_HEADER, IdempotencyInterceptor } from './idempotency.interceptor.js';

/** Marks a publishing route as idempotent under an `Idempotency-Key` (CONTRACT.md, "Publishing"). */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_HEADER,
      required: false,
      description:
        '1 to 200 printable ASCII characters. A repeat of the same request (method, path, ' +
        'body) with the same key within 24 hours gets the first answer again and publishes ' +
        'nothing; a different request with the key gets 409.',
    }),
  );
