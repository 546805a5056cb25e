import { databaseNameOf, redactUrl, scrubSecrets, withDatabase } from './url';

describe('database URLs', () => {
  it('redacts the password and keeps the rest', () => {
    expect(redactUrl('postgres://app:s3cr%40t@db:5432/books')).toBe('postgres://app:***@db:5432/books');
    expect(redactUrl('postgres://app@db/books')).toBe('postgres://app@db/books');
  });

  it('reads and replaces the database, percent-encoded', () => {
    const url = new URL('postgres://app:pw@db:5432/books');
    const hostile = withDatabase(url, 'Book "Store" ü test');
    expect(databaseNameOf(hostile)).toBe('Book "Store" ü test');
    expect(hostile.password).toBe('pw');
  });

  it('scrubs secrets, raw and URL-encoded', () => {
    expect(scrubSecrets('pw=p@ss and p%40ss', ['p@ss'])).toBe('pw=*** and ***');
  });
});
