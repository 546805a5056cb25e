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
