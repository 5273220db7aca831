import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig } from '../config.js';
import { isSseRoute } from '../streaming/nest-sse-internals.js';
import { StreamTickets } from '../tickets/stream-tickets.service.js';
import { ticketFrom } from '../tickets/ticket-source.js';
import type { AuthUser } from './auth-user.js';
import { PUBLIC_ROUTE } from './decorators.js';
import { crossSiteRefusal, normalizedOrigins } from './request-origin.js';
import { tokenFrom } from './token-source.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Guards every route but those marked {@link Public}: no valid token, 401. On stream
 * routes (`@Sse`), a `?ticket=` is the credential instead, and is used up. A token from
 * the cookie changes something only for the service's own pages and CORS_ORIGINS (403).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly tickets: StreamTickets,
    config: AppConfig,
  ) {
    this.allowedOrigins = normalizedOrigins(config.corsOrigins);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const ticket = ticketFrom(request);
    if (ticket !== null && isSseRoute(this.reflector, context.getHandler())) {
      request.user = await this.tickets.redeem(ticket);
      return true;
    }
    const found = tokenFrom(request);
    if (!found && ticket !== null) {
      throw new UnauthorizedException(
        'A stream ticket only opens a stream; send a token (Authorization: Bearer <jwt>) here',
      );
    }
    if (!found) {
      throw new UnauthorizedException(
        'Missing token: send Authorization: Bearer <jwt>, ?access_token= or the access_token cookie',
      );
    }
    const user = this.verifier.verify(found.token);
    if (found.place === 'cookie') {
      const refusal = crossSiteRefusal(request, this.allowedOrigins);
      if (refusal !== null) throw new ForbiddenException(refusal);
    }
    request.user = user;
    return true;
  }
}
