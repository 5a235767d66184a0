import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PluginsModule } from '../plugins/plugins.module';
import { ApiKeyGuard } from './api/api-key.guard';
import { ApiKeysController } from './api/api-keys.controller';
import { ApiKeyAuthenticator } from './application/api-key-authenticator';
import { ApiKeyQueries } from './application/api-key-queries';
import { AUTH_CONFIG, loadAuthConfig } from './application/auth-config';
import { BootstrapAdminKey } from './application/bootstrap-admin-key';
import { CreateApiKeyHandler } from './application/create-api-key.handler';
import { RevokeApiKeyHandler } from './application/revoke-api-key.handler';

/**
 * Access control: API keys (bearer secrets, stored hashed), their roles, and the global
 * guard every request passes (ApiKeyGuard). See docs/api-access.md.
 */
@Module({
  // The credential rule needs each plugin's secret config keys.
  imports: [PluginsModule],
  controllers: [ApiKeysController],
  providers: [
    { provide: AUTH_CONFIG, useFactory: () => loadAuthConfig() },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    ApiKeyAuthenticator,
    BootstrapAdminKey,
    CreateApiKeyHandler,
    RevokeApiKeyHandler,
    ApiKeyQueries,
  ],
})
export class AuthModule {}
