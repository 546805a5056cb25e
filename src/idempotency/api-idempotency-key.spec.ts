import { ProblemException } from '../common/problem-details';
import { KEY_PATTERN } from './api-idempotency-key';
import { parseIdempotencyKey } from './idempotency-key';

function accepted(header: string): boolean {
  try {
    parseIdempotencyKey(header);
    return true;
  } catch (error) {
    if (error instanceof ProblemException) return false;
    throw error;
  }
}

describe('the documented Idempotency-Key pattern', () => {
  it('accepts exactly what the service accepts', () => {
    const samples = [
      'abc',
      '"abc"',
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
      '"a\\"b\\\\c"',
      '"a,b"',
      'a-b[c]~!#+',
      'k'.repeat(255),
      `"${'k'.repeat(255)}"`,
      'k'.repeat(256),
      '',
      '""',
      'a b',
      '"a b"',
      'a,b',
      'a"b',
      '"ab',
      'a\\b',
      '"a\\x"',
    ];
    for (const sample of samples)
      expect([sample, new RegExp(KEY_PATTERN).test(sample)]).toEqual([sample, accepted(sample)]);
  });
});
