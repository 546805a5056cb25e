import { ProblemException } from '../common/problem-details';
import { parseIdempotencyKey } from './idempotency-key';

function problem(header: string | string[]): ProblemException {
  try {
    parseIdempotencyKey(header);
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(header)} to be refused`);
}

describe('parseIdempotencyKey', () => {
  it('is undefined without the header', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it('takes a bare token and a structured-field string as the same key', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('a:b/c*d')).toBe('a:b/c*d');
  });

  it('unescapes a structured-field string', () => {
    expect(parseIdempotencyKey('"a\\"b\\\\c,d"')).toBe('a"b\\c,d');
  });

  it('accepts 255 characters and refuses 256', () => {
    expect(parseIdempotencyKey('k'.repeat(255))).toHaveLength(255);
    expect(parseIdempotencyKey(`"${'k'.repeat(255)}"`)).toHaveLength(255);
    expect(problem('k'.repeat(256)).detail).toContain('longer than 255');
    expect(problem(`"${'k'.repeat(256)}"`).detail).toContain('longer than 255');
  });

  it('refuses an empty key, bare or quoted, as a 400 naming the header', () => {
    for (const header of ['', '""']) {
      const refused = problem(header);
      expect(refused.status).toBe(400);
      expect(refused.slug).toBe('invalid-idempotency-key');
      expect(refused.detail).toBe('Idempotency-Key is empty');
      expect(refused.errors).toEqual([{ field: 'Idempotency-Key', message: 'Idempotency-Key is empty' }]);
    }
  });

  it('refuses spaces, control and non-ASCII characters, stray quotes and lists', () => {
    for (const header of ['a b', '"a b"', 'a\tb', 'clé', '"clé"', 'a"b', '"ab', 'a\\b', 'a,b', 'a, b', '"a\\x"']) {
      expect(problem(header).status).toBe(400);
    }
    expect(problem(['a', 'b']).detail).toContain('not several');
  });
});
