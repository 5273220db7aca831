import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthUser } from './auth-user.js';
import { PUBLIC_ROUTE } from './decorators.js';
import { tokenFrom } from './token-source.js';
import { TokenVerifier } from './token-verifier.js';

/** Guards every route but those marked {@link Public}: no valid token, 401. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = tokenFrom(request);
    if (!token) {
      throw new UnauthorizedException(
        'Missing token: send Authorization: Bearer <jwt>, ?access_token= or the access_token cookie',
      );
    }
    request.user = this.verifier.verify(token);
    return true;
  }
}
