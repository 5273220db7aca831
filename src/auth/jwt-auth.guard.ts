import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { StreamTickets } from '../tickets/stream-tickets.service.js';
import { ticketFrom } from '../tickets/ticket-source.js';
import type { AuthUser } from './auth-user.js';
import { PUBLIC_ROUTE } from './decorators.js';
import { tokenFrom } from './token-source.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Guards every route but those marked {@link Public}: no valid token, 401. On stream
 * routes (`@Sse`), a `?ticket=` is the credential instead, and is used up.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly tickets: StreamTickets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const ticket = ticketFrom(request);
    if (ticket !== null && this.reflector.get<boolean>(SSE_METADATA, context.getHandler())) {
      request.user = await this.tickets.redeem(ticket);
      return true;
    }
    const token = tokenFrom(request);
    if (!token && ticket !== null) {
      throw new UnauthorizedException(
        'A stream ticket only opens a stream; send a token (Authorization: Bearer <jwt>) here',
      );
    }
    if (!token) {
      throw new UnauthorizedException(
        'Missing token: send Authorization: Bearer <jwt>, ?access_token= or the access_token cookie',
      );
    }
    request.user = this.verifier.verify(token);
    return true;
  }
}
