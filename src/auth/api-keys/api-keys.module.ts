import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ConfigModule } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { apiKeysConfig } from '../../config/api-keys.config';
import { authConfig } from '../../config/auth.config';
import { API_KEY_VERIFIER } from '../credentials';
import { ApiKeyStore } from './api-key.store';
import { ApiKeyVerifier } from './api-key.verifier';
import { DevelopmentApiKey } from './development-key';

/**
 * API keys: the verifier the global guard calls for X-API-Key (under API_KEY_VERIFIER), and the
 * development key of a zero-config start. Global, so
 * the guard's module needs no import of this one. Keys are read from the primary, never a replica:
 * a revocation must be seen as soon as the cache lets it.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(apiKeysConfig), ConfigModule.forFeature(authConfig)],
  providers: [
    { provide: ApiKeyStore, inject: [DataSource], useFactory: (dataSource: DataSource) => new ApiKeyStore(dataSource) },
    {
      provide: ApiKeyVerifier,
      inject: [ApiKeyStore, apiKeysConfig.KEY],
      useFactory: (store: ApiKeyStore, config: ConfigType<typeof apiKeysConfig>) =>
        new ApiKeyVerifier(store, config.cacheMs),
    },
    { provide: API_KEY_VERIFIER, useExisting: ApiKeyVerifier },
    DevelopmentApiKey,
  ],
  exports: [API_KEY_VERIFIER, ApiKeyVerifier, ApiKeyStore, DevelopmentApiKey],
})
export class ApiKeysModule {}
