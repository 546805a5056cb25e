import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-parsers';

export interface IdempotencyConfig {
  /** How long a key's recorded answer is replayed; after that the key may be used afresh. */
  ttlHours: number;
  /** A POST without Idempotency-Key is a 400. */
  keyRequired: boolean;
  /** How long a retry waits for the first request under its key to finish before it gets 409. */
  waitMs: number;
}

export function buildIdempotencyConfig(env: Record<string, string | undefined>): IdempotencyConfig {
  const read = new EnvReader(env);
  const config: IdempotencyConfig = {
    ttlHours: read.int('IDEMPOTENCY_TTL_HOURS', 24, 1, 8760),
    keyRequired: read.bool('IDEMPOTENCY_KEY_REQUIRED', false),
    waitMs: read.int('IDEMPOTENCY_WAIT_MS', 2000, 0, 60_000),
  };
  read.done();
  return config;
}

export const idempotencyConfig = registerAs('idempotency', () => buildIdempotencyConfig(process.env));
