import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthUser } from '../auth/auth-user.js';

/**
 * The publish rate limit (PUBLISH_RATE_LIMIT per PUBLISH_RATE_TTL_MS), counted per
 * authenticated user rather than per IP address: many users share a NAT or a
 * gateway, and one service may publish from many addresses. Every publish route
 * draws on one budget per user, so spreading requests over routes gains nothing.
 * Route-scoped guards run after the global ones, so the user is known here.
 */
@Injectable()
export class PublishThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const user = req.user as AuthUser | undefined;
    // Never reached without a user (JwtAuthGuard runs first); the address is a safe fallback.
    return Promise.resolve(user ? `user:${user.id}` : `ip:${String(req.ip)}`);
  }

  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return `publish:${tracker}`;
  }
}

/** Marks a route as publishing: it counts against the caller's publish rate limit. */
export const PublishRateLimited = () => applyDecorators(UseGuards(PublishThrottlerGuard));
