import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { createPublicKey, createSecretKey } from 'node:crypto';
import { AppConfig } from '../config.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { RolesGuard } from './roles.guard.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Authentication for every route: the JWT guard first, then the roles guard.
 * The key is parsed into a KeyObject once: given a string, jsonwebtoken parses it on
 * every verification (and first tries an HS256 secret as a public key), which
 * measured a quarter of the service's CPU under publishing load.
 */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: ({ jwt }: AppConfig) => ({
        ...(jwt.publicKey
          ? { publicKey: createPublicKey(jwt.publicKey) }
          : { secret: createSecretKey(Buffer.from(jwt.secret ?? '')) }),
        verifyOptions: {
          algorithms: [...jwt.algorithms],
          ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
          ...(jwt.audience ? { audience: jwt.audience } : {}),
        },
      }),
    }),
  ],
  providers: [
    TokenVerifier,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [TokenVerifier],
})
export class AuthModule {}
