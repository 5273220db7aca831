import { describe, expect, it } from '@jest/globals';
import {
  Controller,
  ForbiddenException,
  Get,
  Post,
  Sse,
  UnauthorizedException,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AppConfig } from '../config.js';
import { strictFake } from '../testing/strict-fake.js';
import type { StreamTickets } from '../tickets/stream-tickets.service.js';
import type { AuthUser } from './auth-user.js';
import { Public } from './decorators.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import type { TokenVerifier } from './token-verifier.js';

/** Routes decorated as the service's controllers are, so the guard reads real metadata. */
@Controller('guarded')
class GuardedController {
  @Get()
  read(): void {}

  @Post()
  write(): void {}

  @Public()
  @Get('health')
  health(): void {}

  @Sse('stream')
  stream(): void {}
}

@Public()
@Controller('open')
class PublicController {
  @Get()
  read(): void {}
}

type Route = 'read' | 'write' | 'health' | 'stream';

const alice: AuthUser = { id: 'alice', name: null, roles: [], expiresAt: new Date(2e12) };
const bob: AuthUser = { id: 'bob', name: 'Bob', roles: [], expiresAt: new Date(2e12) };

interface RequestParts {
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  cookies?: Record<string, string>;
}

type GuardedRequest = Request & { user?: AuthUser };

function requestOf({
  method = 'GET',
  headers = {},
  query = {},
  cookies = {},
}: RequestParts): GuardedRequest {
  return strictFake<GuardedRequest>('Request', {
    method,
    headers: { host: 'hub.example', ...headers },
    query,
    cookies,
    socket: {} as Request['socket'],
  });
}

function contextOf(request: Request, handler: () => void, controller: Type): ExecutionContext {
  return strictFake<ExecutionContext>('ExecutionContext', {
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () =>
      strictFake<ReturnType<ExecutionContext['switchToHttp']>>('HttpArgumentsHost', {
        getRequest: <T>() => request as T,
      }),
  });
}

const on = (request: Request, route: Route) =>
  contextOf(request, GuardedController.prototype[route], GuardedController);

/** Records the tokens it is asked to verify; `users` maps a token to its user. */
function verifierOf(users: Record<string, AuthUser>) {
  const verified: string[] = [];
  const verifier = strictFake<TokenVerifier>('TokenVerifier', {
    verify: (token: string) => {
      verified.push(token);
      const user = users[token];
      if (!user) throw new UnauthorizedException('Invalid token: invalid signature');
      return user;
    },
  });
  return { verifier, verified };
}

/** Records the tickets it is asked to redeem; `users` maps a ticket to its user. */
function ticketsOf(users: Record<string, AuthUser>) {
  const redeemed: string[] = [];
  const tickets = strictFake<StreamTickets>('StreamTickets', {
    redeem: (ticket: string) => {
      redeemed.push(ticket);
      const user = users[ticket];
      if (!user) return Promise.reject(new UnauthorizedException('Invalid ticket: unknown'));
      return Promise.resolve(user);
    },
  });
  return { tickets, redeemed };
}

function guardWith({
  verifier = strictFake<TokenVerifier>('TokenVerifier', {}),
  tickets = strictFake<StreamTickets>('StreamTickets', {}),
  corsOrigins = [] as string[],
} = {}): JwtAuthGuard {
  return new JwtAuthGuard(
    new Reflector(),
    verifier,
    tickets,
    strictFake<AppConfig>('AppConfig', { corsOrigins }),
  );
}

const MISSING_TOKEN =
  'Missing token: send Authorization: Bearer <jwt>, ?access_token= or the access_token cookie';

describe(JwtAuthGuard.name, () => {
  describe('canActivate', () => {
    describe('public routes', () => {
      it('lets a @Public route through without a token, looking at nothing else', async () => {
        const request = requestOf({});
        // No verifier or tickets members: any use of them would throw.
        await expect(guardWith().canActivate(on(request, 'health'))).resolves.toBe(true);
        expect('user' in request).toBe(false);
      });

      it('lets every route of a @Public controller through without a token', async () => {
        const request = requestOf({});
        const context = contextOf(request, PublicController.prototype.read, PublicController);
        await expect(guardWith().canActivate(context)).resolves.toBe(true);
      });

      it('guards a route without @Public', async () => {
        await expect(guardWith().canActivate(on(requestOf({}), 'read'))).rejects.toThrow(
          UnauthorizedException,
        );
      });
    });

    describe('tokens', () => {
      it('verifies a Bearer token and puts its user on the request', async () => {
        const { verifier, verified } = verifierOf({ 'token-a': alice });
        const request = requestOf({ headers: { authorization: 'Bearer token-a' } });
        await expect(guardWith({ verifier }).canActivate(on(request, 'read'))).resolves.toBe(true);
        expect(verified).toEqual(['token-a']);
        expect(request.user).toBe(alice);
      });

      it('verifies an access_token query parameter', async () => {
        const { verifier, verified } = verifierOf({ 'token-a': alice });
        const request = requestOf({ query: { access_token: 'token-a' } });
        await expect(guardWith({ verifier }).canActivate(on(request, 'read'))).resolves.toBe(true);
        expect(verified).toEqual(['token-a']);
        expect(request.user).toBe(alice);
      });

      it('answers 401 naming the three places when there is no token', async () => {
        const request = requestOf({});
        const refusal = guardWith().canActivate(on(request, 'read'));
        await expect(refusal).rejects.toThrow(UnauthorizedException);
        await expect(refusal).rejects.toThrow(MISSING_TOKEN);
        expect('user' in request).toBe(false);
      });

      it("passes the verifier's 401 on, setting no user", async () => {
        const { verifier } = verifierOf({});
        const request = requestOf({ headers: { authorization: 'Bearer forged' } });
        await expect(guardWith({ verifier }).canActivate(on(request, 'read'))).rejects.toThrow(
          'Invalid token: invalid signature',
        );
        expect('user' in request).toBe(false);
      });
    });

    describe('stream tickets', () => {
      it('redeems a ?ticket= on an @Sse route and puts its user on the request', async () => {
        const { tickets, redeemed } = ticketsOf({ 'ticket-b': bob });
        const request = requestOf({ query: { ticket: 'ticket-b' } });
        await expect(guardWith({ tickets }).canActivate(on(request, 'stream'))).resolves.toBe(true);
        expect(redeemed).toEqual(['ticket-b']);
        expect(request.user).toBe(bob);
      });

      it('takes the ticket over a token on an @Sse route, verifying no token', async () => {
        const { tickets, redeemed } = ticketsOf({ 'ticket-b': bob });
        const request = requestOf({
          headers: { authorization: 'Bearer token-a' },
          query: { ticket: 'ticket-b' },
        });
        await expect(guardWith({ tickets }).canActivate(on(request, 'stream'))).resolves.toBe(true);
        expect(redeemed).toEqual(['ticket-b']);
        expect(request.user).toBe(bob);
      });

      it("passes the tickets' 401 on for an unknown ticket, setting no user", async () => {
        const { tickets } = ticketsOf({});
        const request = requestOf({ query: { ticket: 'spent' } });
        await expect(guardWith({ tickets }).canActivate(on(request, 'stream'))).rejects.toThrow(
          'Invalid ticket: unknown',
        );
        expect('user' in request).toBe(false);
      });

      it('refuses a ticket alone on a route that is not @Sse, redeeming nothing', async () => {
        const request = requestOf({ query: { ticket: 'ticket-b' } });
        const refusal = guardWith().canActivate(on(request, 'read'));
        await expect(refusal).rejects.toThrow(UnauthorizedException);
        await expect(refusal).rejects.toThrow(
          'A stream ticket only opens a stream; send a token (Authorization: Bearer <jwt>) here',
        );
      });

      it('ignores a ticket on a route that is not @Sse when a token comes with it', async () => {
        const { verifier, verified } = verifierOf({ 'token-a': alice });
        const request = requestOf({
          headers: { authorization: 'Bearer token-a' },
          query: { ticket: 'ticket-b' },
        });
        await expect(guardWith({ verifier }).canActivate(on(request, 'read'))).resolves.toBe(true);
        expect(verified).toEqual(['token-a']);
        expect(request.user).toBe(alice);
      });
    });

    describe('the access_token cookie', () => {
      const fromCookie = (method: string, headers: Record<string, string> = {}) =>
        requestOf({ method, headers, cookies: { access_token: 'token-a' } });

      it('refuses (403) a POST from another site, after verifying the token', async () => {
        const { verifier, verified } = verifierOf({ 'token-a': alice });
        const request = fromCookie('POST', { origin: 'https://evil.example' });
        const refusal = guardWith({ verifier }).canActivate(on(request, 'write'));
        await expect(refusal).rejects.toThrow(ForbiddenException);
        await expect(refusal).rejects.toThrow(
          /not https:\/\/evil\.example \(cross-site request forgery\)/,
        );
        expect(verified).toEqual(['token-a']);
        expect('user' in request).toBe(false);
      });

      it('refuses (403) a POST with neither Origin nor Referer', async () => {
        const { verifier } = verifierOf({ 'token-a': alice });
        await expect(
          guardWith({ verifier }).canActivate(on(fromCookie('POST'), 'write')),
        ).rejects.toThrow(/neither an Origin nor a Referer/);
      });

      it("lets a POST from the service's own origin through", async () => {
        const { verifier } = verifierOf({ 'token-a': alice });
        const request = fromCookie('POST', { origin: 'http://hub.example' });
        await expect(guardWith({ verifier }).canActivate(on(request, 'write'))).resolves.toBe(true);
        expect(request.user).toBe(alice);
      });

      it('lets a POST from CORS_ORIGINS through, compared as browsers write origins', async () => {
        const { verifier } = verifierOf({ 'token-a': alice });
        const guard = guardWith({ verifier, corsOrigins: ['HTTPS://App.Example:443'] });
        const request = fromCookie('POST', { origin: 'https://app.example' });
        await expect(guard.canActivate(on(request, 'write'))).resolves.toBe(true);
        expect(request.user).toBe(alice);
      });

      it('lets a GET from another site through: it changes nothing', async () => {
        const { verifier } = verifierOf({ 'token-a': alice });
        const request = fromCookie('GET', { origin: 'https://evil.example' });
        await expect(guardWith({ verifier }).canActivate(on(request, 'read'))).resolves.toBe(true);
        expect(request.user).toBe(alice);
      });

      it('applies no origin rule to a token in the Authorization header', async () => {
        const { verifier } = verifierOf({ 'token-a': alice });
        const request = requestOf({
          method: 'POST',
          headers: { authorization: 'Bearer token-a', origin: 'https://evil.example' },
        });
        await expect(guardWith({ verifier }).canActivate(on(request, 'write'))).resolves.toBe(true);
        expect(request.user).toBe(alice);
      });
    });
  });
});
