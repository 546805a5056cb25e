import { decodeKeyset, encodeKeyset, isCursorTimestamp, isInt4, isUuid } from './keyset-cursor';

describe('keyset cursor', () => {
  it('round-trips an array through an opaque url-safe string', () => {
    const fields = ['title', 'desc', 'Dune, "Messiah" — ü', '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21', 7];
    const text = encodeKeyset(fields);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeKeyset(text)).toEqual(fields);
  });

  it('reads anything else as no cursor', () => {
    expect(decodeKeyset('!!!')).toBeUndefined();
    expect(decodeKeyset(Buffer.from('{"a":1}').toString('base64url'))).toBeUndefined();
    expect(decodeKeyset(Buffer.from('"text"').toString('base64url'))).toBeUndefined();
  });

  it('accepts only timestamps PostgreSQL accepts, with their microseconds', () => {
    expect(isCursorTimestamp('2024-02-29T23:59:59.999999Z')).toBe(true);
    expect(isCursorTimestamp('2024-02-30T00:00:00.000000Z')).toBe(false);
    expect(isCursorTimestamp('0000-01-01T00:00:00.000000Z')).toBe(false);
    expect(isCursorTimestamp('2024-02-29T23:59:59.999Z')).toBe(false);
    expect(isCursorTimestamp(20240229)).toBe(false);
  });

  it('bounds int4 keys and checks ids are UUIDs', () => {
    expect(isInt4(-2_147_483_648)).toBe(true);
    expect(isInt4(2_147_483_648)).toBe(false);
    expect(isInt4(1.5)).toBe(false);
    expect(isUuid('3F1C2A7E-8A4B-4C1D-9F7E-2B6D5C4A3E21')).toBe(true);
    expect(isUuid('3f1c2a7e')).toBe(false);
  });
});
