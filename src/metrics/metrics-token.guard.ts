import {
  CanActivate,
  Injectable,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config.js';

/**
 * With METRICS_TOKEN set, `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`
 * (a scraper's static secret, not a user's JWT); without it the route is open.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(config: AppConfig) {
    this.expected = config.metricsToken ? digest(config.metricsToken) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Digests have one length, so the comparison takes the same time whatever was sent.
    if (match && timingSafeEqual(digest(match[1]), this.expected)) return true;
    throw new UnauthorizedException('/metrics needs Authorization: Bearer <METRICS_TOKEN>');
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
