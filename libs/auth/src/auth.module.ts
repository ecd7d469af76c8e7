import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerStorage } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyAuthenticator } from './authentication/api-key-authenticator';
import { ApiKeyCache } from './authentication/api-key-cache';
import { CredentialAuthenticator } from './authentication/credential-authenticator';
import { JwtAuthenticator } from './authentication/jwt/jwt-authenticator';
import { RateLimiter } from './authentication/rate-limiter';
import { SignatureVerifier } from './authentication/signature-verifier';
import { SlidingWindowStorage } from './authentication/sliding-window-storage';
import { AdminKeyBootstrap } from './bootstrap/admin-key.bootstrap';
import { CreateApiKeyCommandHandler } from './commands/create-api-key/create-api-key.command-handler';
import { RevokeApiKeyCommandHandler } from './commands/revoke-api-key/revoke-api-key.command-handler';
import { ApiKeyRepository } from './domain/api-key';
import { ApiKeyGuard } from './guards/api-key.guard';
import { AdminKeysController } from './http/admin-keys.controller';
import { WhoamiController } from './http/whoami.controller';
import { ControlLogController } from './http/control-log.controller';
import { ControlLogModule } from './control-log/control-log.module';
import { ListControlLogQueryHandler } from './queries/list-control-log/list-control-log.query-handler';
import { ApiKeyOrmEntity } from './persistence/api-key.orm-entity';
import { TypeOrmApiKeyRepository } from './persistence/api-key.repository';
import { RequestSignatureOrmEntity } from './persistence/request-signature.orm-entity';
import { RequestSignatureRepository } from './persistence/request-signature.repository';
import { ListApiKeysQueryHandler } from './queries/list-api-keys/list-api-keys.query-handler';

/**
 * API keys, provers' JWTs (with a JWKS configured), roles, HMAC signatures and rate limits. Importing it installs the global
 * guard (every route needs @Public or @Roles) and ensures the TALLY_ADMIN_KEY admin key at
 * start. With it every module gets the control log (ControlLogModule, global). Its handlers use the app's one set of buses (DatabaseModule's global CqrsModule).
 */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyOrmEntity, RequestSignatureOrmEntity]), ControlLogModule],
  controllers: [AdminKeysController, WhoamiController, ControlLogController],
  providers: [
    { provide: ApiKeyRepository, useClass: TypeOrmApiKeyRepository },
    RequestSignatureRepository,
    ApiKeyCache,
    ApiKeyAuthenticator,
    JwtAuthenticator,
    CredentialAuthenticator,
    SignatureVerifier,
    { provide: ThrottlerStorage, useClass: SlidingWindowStorage },
    RateLimiter,
    CreateApiKeyCommandHandler,
    RevokeApiKeyCommandHandler,
    ListApiKeysQueryHandler,
    ListControlLogQueryHandler,
    AdminKeyBootstrap,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  // For transports other than REST (gRPC authenticates its `authorization` metadata with them).
  exports: [CredentialAuthenticator, ApiKeyAuthenticator, RateLimiter],
})
export class AuthModule {}
