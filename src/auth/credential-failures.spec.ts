import { ThrottlerStorageService } from '@nestjs/throttler';
import { clientNetwork, CredentialFailures } from './credential-failures';

describe('CredentialFailures', () => {
  it('groups IPv6 clients by /64 and reads IPv4-mapped addresses as IPv4', () => {
    expect(clientNetwork('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:0001:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientNetwork('192.0.2.7')).toBe('192.0.2.7');
  });

  it('answers 429 past the budget, then refuses that address before any check; others keep theirs', async () => {
    const storage = new ThrottlerStorageService();
    const failures = new CredentialFailures(storage, 2, 60_000);
    try {
      await expect(failures.record('192.0.2.1')).resolves.toBeUndefined();
      await expect(failures.record('192.0.2.1')).resolves.toBeUndefined();
      expect(() => failures.refuseIfBlocked('192.0.2.1')).not.toThrow();
      await expect(failures.record('192.0.2.1')).rejects.toMatchObject({
        status: 429,
        headers: { 'Retry-After': '60' },
      });
      expect(() => failures.refuseIfBlocked('192.0.2.1')).toThrow(/Too many invalid credentials/);
      expect(() => failures.refuseIfBlocked('192.0.2.2')).not.toThrow();
    } finally {
      storage.onApplicationShutdown();
    }
  });
});
