import fc from 'fast-check';
import { normalizeIsbn } from './isbn';

describe('normalizeIsbn', () => {
  it.each([
    ['978-0-306-40615-7', '9780306406157'],
    ['9780306406157', '9780306406157'],
    ['978 0 306 40615 7', '9780306406157'],
    ['0-306-40615-2', '9780306406157'],
    ['0306406152', '9780306406157'],
    ['080442957X', '9780804429573'],
    ['080442957x', '9780804429573'],
    ['979-10-90636-07-1', '9791090636071'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normalizeIsbn(input)).toBe(expected);
  });

  it.each([
    ['978-0-306-40615-8', 'ISBN-13 with a wrong check digit'],
    ['0-306-40615-3', 'ISBN-10 with a wrong check digit'],
    ['X306406152', 'X anywhere but the last place'],
    ['1234567890123', 'a 13-digit number outside 978/979'],
    ['97803064061', 'eleven digits'],
    ['978030640615a', 'a letter'],
    ['', 'nothing'],
    ['978_0306406157', 'another separator'],
  ])('refuses %s (%s)', (input) => {
    expect(normalizeIsbn(input)).toBeNull();
  });
});

describe('normalizeIsbn: more forms', () => {
  it.each([
    ['0000000000', '9780000000002', 'an ISBN-10 of zeros'],
    ['0-8044-2957-X', '9780804429573', 'an ISBN-10 ending in X, hyphenated'],
    ['  9780306406157  ', '9780306406157', 'surrounding spaces'],
    ['978-0 306-40615 7', '9780306406157', 'hyphens and spaces mixed'],
    ['9791090636071', '9791090636071', 'a 979 ISBN-13 (no ISBN-10 exists for it)'],
  ])('accepts %s as %s (%s)', (input, expected) => {
    expect(normalizeIsbn(input)).toBe(expected);
  });

  it.each([
    ['978030640615X', 'X in an ISBN-13'],
    ['97803064061570', 'fourteen digits'],
    ['030640615', 'nine digits'],
    ['０３０６４０６１５２', 'full-width digits'],
    ['0306406152X', 'an extra X'],
    ['isbn 0306406152', 'a prefix'],
    ['0306406152.', 'a trailing dot'],
  ])('refuses %s (%s)', (input) => {
    expect(normalizeIsbn(input)).toBeNull();
  });
});

describe('normalizeIsbn: properties', () => {
  const digits = (length: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length });

  function isbn10Of(body: number[]): string {
    const sum = body.reduce((acc, d, i) => acc + d * (10 - i), 0);
    const check = (11 - (sum % 11)) % 11;
    return body.join('') + (check === 10 ? 'X' : String(check));
  }

  it('maps every valid ISBN-10 to 978 + its first nine digits + a valid ISBN-13 check digit', () => {
    fc.assert(
      fc.property(digits(9), (body) => {
        const isbn13 = normalizeIsbn(isbn10Of(body));
        expect(isbn13).toMatch(new RegExp(`^978${body.join('')}\\d$`));
        // The result is itself accepted unchanged: normalising is idempotent.
        expect(normalizeIsbn(isbn13!)).toBe(isbn13);
      }),
    );
  });

  it('detects every single-digit error in an ISBN-13', () => {
    fc.assert(
      fc.property(digits(9), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 9 }), (body, at, delta) => {
        const valid = normalizeIsbn(isbn10Of(body))!;
        const wrong = valid.slice(0, at) + String((Number(valid[at]) + delta) % 10) + valid.slice(at + 1);
        expect(normalizeIsbn(wrong)).toBeNull();
      }),
    );
  });

  it('detects every swap of two different adjacent digits in an ISBN-10', () => {
    fc.assert(
      fc.property(digits(9), fc.integer({ min: 0, max: 7 }), (body, at) => {
        fc.pre(body[at] !== body[at + 1]);
        const swapped = [...body];
        [swapped[at], swapped[at + 1]] = [swapped[at + 1], swapped[at]];
        const withOriginalCheck = swapped.join('') + isbn10Of(body).slice(9);
        expect(normalizeIsbn(withOriginalCheck)).toBeNull();
      }),
    );
  });
});
