import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthUser } from '../auth/auth-user.js';

/** The user a request was authenticated as; set by the JWT guard, which runs first. */
function userOf(request: Record<string, unknown>): AuthUser | undefined {
  return request.user as AuthUser | undefined;
}

/**
 * True when a publish request comes with a `service` token: a machine publisher, which
 * draws on SERVICE_PUBLISH_RATE_LIMIT instead of a person's PUBLISH_RATE_LIMIT.
 */
export function isServicePublisher(context: ExecutionContext): boolean {
  const user = userOf(context.switchToHttp().getRequest<Record<string, unknown>>());
  return user?.roles.includes('service') ?? false;
}

/**
 * The publish rate limit, counted per authenticated user rather than per IP address:
 * many users share a NAT or a gateway, and one service may publish from many
 * addresses. Every publish route draws on one budget per user, so spreading requests
 * over routes gains nothing. A `service` token has a budget of its own (a user id used
 * both by a person and by a service does not share it). Route-scoped guards run after
 * the global ones, so the user is known here. The limit itself is resolved per request
 * in {@link LimitsModule}.
 */
@Injectable()
export class PublishThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const user = userOf(req);
    // Never reached without a user (JwtAuthGuard runs first); the address is a safe fallback.
    if (!user) return Promise.resolve(`ip:${String(req.ip)}`);
    const kind = user.roles.includes('service') ? 'service' : 'user';
    return Promise.resolve(`${kind}:${user.id}`);
  }

  /** One key per tracker, whatever the route (the Redis counters add the service's key prefix). */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return `publish:${tracker}`;
  }
}

/** Marks a route as publishing: it counts against the caller's publish rate limit. */
export const PublishRateLimited = () => applyDecorators(UseGuards(PublishThrottlerGuard));
