import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { setPrincipal } from '../auth/principal';
import { RateLimitGuard, throttlerOptions } from './throttler-options';

/** The guard's tracker, reached as the library calls it. */
class TrackerOf extends RateLimitGuard {
  tracker(req: Record<string, unknown>): Promise<string> {
    return this.getTracker(req);
  }
}

describe('rate-limit tracker', () => {
  const guard = new TrackerOf(
    throttlerOptions({ throttle: { enabled: true, limit: 5, writeLimit: 3, ttlMs: 60_000 } }),
    new ThrottlerStorageService(),
    new Reflector(),
  );

  it('is the principal when the request carries one (on the Fastify request or its raw one), else the IP', async () => {
    const withPrincipal = { ip: '203.0.113.1' };
    setPrincipal(withPrincipal, { id: 'key:0123456789abcdef', name: 'ci', kind: 'api-key', scopes: new Set() });
    await expect(guard.tracker(withPrincipal)).resolves.toBe('principal:key:0123456789abcdef');
    const raw = {};
    setPrincipal(raw, { id: 'token:https://issuer/ alice', name: 'alice', kind: 'token', scopes: new Set() });
    await expect(guard.tracker({ ip: '203.0.113.1', raw })).resolves.toBe('principal:token:https://issuer/ alice');
    await expect(guard.tracker({ ip: '203.0.113.1', raw: {} })).resolves.toBe('ip:203.0.113.1');
  });

  it('groups IPv6 by /64, and reads an IPv4-mapped address as IPv4', async () => {
    await expect(guard.tracker({ ip: '2001:db8:1:2:3:4:5:6' })).resolves.toBe('ip:2001:db8:1:2::/64');
    await expect(guard.tracker({ ip: '2001:db8:1:2::ffff' })).resolves.toBe('ip:2001:db8:1:2::/64');
    await expect(guard.tracker({ ip: '::ffff:198.51.100.7' })).resolves.toBe('ip:198.51.100.7');
  });
});
