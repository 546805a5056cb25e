import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-parsers';

export interface ApiKeysConfig {
  /** How long a key's row is trusted before it is read again: revocation reaches every instance within it. */
  cacheMs: number;
}

export function buildApiKeysConfig(env: Record<string, string | undefined>): ApiKeysConfig {
  const read = new EnvReader(env);
  const config: ApiKeysConfig = {
    cacheMs: read.int('AUTH_KEY_CACHE_MS', 30_000, 0, 3_600_000),
  };
  read.done();
  return config;
}

export const apiKeysConfig = registerAs('apiKeys', () => buildApiKeysConfig(process.env));
