import { keyId } from './idempotency-store';

describe('keyId', () => {
  // Stored rows are found by this value (and migration IdempotencyKeyHash computed it in SQL): it must not change.
  it('is SHA-256 of scope, method, route and key on lines of their own, in UTF-8', () => {
    expect(keyId('a', 'POST', '/books', 'k1').toString('hex')).toBe(
      '835d98ec693f8faddee739de877fd8326565664ef01aa655fd930041ae0025cc',
    );
    expect(keyId('Zoë', 'POST', '/books', 'k1')).not.toEqual(keyId('Zoe', 'POST', '/books', 'k1'));
  });
});
