import { assertValidDatabaseName, InvalidDatabaseNameError, quoteIdentifier } from './database-name';

describe('database names', () => {
  it('quotes identifiers and doubles embedded double quotes', () => {
    expect(quoteIdentifier('books')).toBe('"books"');
    expect(quoteIdentifier('Book "Store" ü test')).toBe('"Book ""Store"" ü test"');
    expect(quoteIdentifier('x"; DROP DATABASE postgres; --')).toBe('"x""; DROP DATABASE postgres; --"');
  });

  it('accepts up to 63 bytes, counting UTF-8 bytes rather than characters', () => {
    expect(() => assertValidDatabaseName('a'.repeat(63))).not.toThrow();
    expect(() => assertValidDatabaseName('a'.repeat(64))).toThrow(InvalidDatabaseNameError);
    // 32 × "ü" is 32 characters but 64 bytes.
    expect(() => assertValidDatabaseName('ü'.repeat(32))).toThrow(/64 bytes/);
  });

  it('refuses an empty name and a NUL byte', () => {
    expect(() => assertValidDatabaseName('')).toThrow(/empty/);
    expect(() => assertValidDatabaseName('a\0b')).toThrow(/NUL/);
  });
});
