import { ConfigError } from './config.exception';
import { buildIdempotencyConfig } from './idempotency.config';

describe('idempotency settings', () => {
  it('defaults to a 24-hour expiry, keys optional and a 2-second wait', () => {
    expect(buildIdempotencyConfig({})).toEqual({ ttlHours: 24, keyRequired: false, waitMs: 2000 });
  });

  it('reads each variable', () => {
    expect(
      buildIdempotencyConfig({
        IDEMPOTENCY_TTL_HOURS: '48',
        IDEMPOTENCY_KEY_REQUIRED: 'true',
        IDEMPOTENCY_WAIT_MS: '0',
      }),
    ).toEqual({ ttlHours: 48, keyRequired: true, waitMs: 0 });
  });

  it('names the variable of a bad value', () => {
    expect(() => buildIdempotencyConfig({ IDEMPOTENCY_TTL_HOURS: '0' })).toThrow(ConfigError);
    expect(() => buildIdempotencyConfig({ IDEMPOTENCY_TTL_HOURS: '1.5' })).toThrow(/IDEMPOTENCY_TTL_HOURS/);
    expect(() => buildIdempotencyConfig({ IDEMPOTENCY_KEY_REQUIRED: 'maybe' })).toThrow(/IDEMPOTENCY_KEY_REQUIRED/);
    expect(() => buildIdempotencyConfig({ IDEMPOTENCY_WAIT_MS: '-1' })).toThrow(/IDEMPOTENCY_WAIT_MS/);
  });
});
