/**
 * ISBN handling: accepts ISBN-10 or ISBN-13 with optional hyphens or spaces, checks the
 * checksum, and normalises to the 13 digits stored in the database.
 */
export function normalizeIsbn(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '').toUpperCase();
  if (/^\d{9}[\dX]$/.test(compact)) {
    if (!isValidIsbn10(compact)) return null;
    const body = '978' + compact.slice(0, 9);
    return body + isbn13CheckDigit(body);
  }
  if (/^\d{13}$/.test(compact)) {
    if (!compact.startsWith('978') && !compact.startsWith('979')) return null;
    return isbn13CheckDigit(compact.slice(0, 12)) === compact[12] ? compact : null;
  }
  return null;
}

function isValidIsbn10(isbn: string): boolean {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const value = isbn[i] === 'X' ? 10 : Number(isbn[i]);
    if (value === 10 && i !== 9) return false;
    sum += value * (10 - i);
  }
  return sum % 11 === 0;
}

/** Check digit of an ISBN-13 from its first 12 digits. */
export function isbn13CheckDigit(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return String((10 - (sum % 10)) % 10);
}

/** Check digit of an ISBN-10 from its first 9 digits ('X' stands for 10). */
export function isbn10CheckDigit(first9: string): string {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i);
  const check = (11 - (sum % 11)) % 11;
  return check === 10 ? 'X' : String(check);
}
