import { decodeCursor, encodeCursor, type BookCursor } from './book-cursor';

const ID = '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21';
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('book cursor', () => {
  const cursors: BookCursor[] = [
    { sort: 'createdAt', order: 'asc', key: '2026-11-25T12:00:00.123456Z', id: ID },
    { sort: 'title', order: 'desc', key: 'Dune, "Messiah" — ü', id: ID },
    { sort: 'author', order: 'asc', key: '', id: ID },
    { sort: 'publishedYear', order: 'desc', key: -500, id: ID },
    { sort: 'relevance', order: 'desc', key: '0.06079271', id: ID },
    { sort: 'relevance', order: 'desc', key: '1e-20', id: ID },
    {
      sort: 'relevance',
      order: 'desc',
      key: '0.5',
      id: ID,
      sample: { blocks: 26266, asOf: '2026-11-25T12:00:00.123456Z' },
    },
    {
      sort: 'relevance',
      order: 'desc',
      key: '0.5',
      id: ID,
      words: { asOf: '2026-11-25T12:00:00.123456Z', last: 'ffffffff-0000-4000-8000-000000000001' },
    },
  ];

  it.each(cursors)('round-trips %j through an opaque url-safe string', (cursor) => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['JSON that is not an array', encode({ sort: 'title' })],
    ['too few items', encode(['title', 'asc', 'x'])],
    ['an unknown sort', encode(['isbn', 'asc', 'x', ID])],
    ['an unknown order', encode(['title', 'up', 'x', ID])],
    ['an id that is not a uuid', encode(['title', 'asc', 'x', '1; DROP TABLE books'])],
    ['a year that is not an integer', encode(['publishedYear', 'asc', '1999', ID])],
    ['a timestamp without microseconds', encode(['createdAt', 'asc', '2026-11-25T12:00:00Z', ID])],
    ['an impossible timestamp', encode(['createdAt', 'asc', '2026-13-45T12:00:00.000000Z', ID])],
    ['a year beyond int4', encode(['publishedYear', 'asc', 2 ** 31, ID])],
    ['a year below int4', encode(['publishedYear', 'asc', -(2 ** 31) - 1, ID])],
    ['a day that does not exist (2024-02-30)', encode(['createdAt', 'asc', '2024-02-30T00:00:00.000000Z', ID])],
    ['year 0, which PostgreSQL has not', encode(['createdAt', 'asc', '0000-06-01T00:00:00.000000Z', ID])],
    ['a NUL in a text key', encode(['title', 'asc', 'a\u0000b', ID])],
    ['a relevance cursor in ascending order', encode(['relevance', 'asc', '0.5', ID])],
    ['a relevance key that is not a number', encode(['relevance', 'desc', '0.5; select', ID])],
    ['a relevance key given as a JSON number', encode(['relevance', 'desc', 0.5, ID])],
    ['a sample that is not a page count', encode(['relevance', 'desc', '0.5', ID, -1, '2026-11-25T12:00:00.000000Z'])],
    ['a sample without its time', encode(['relevance', 'desc', '0.5', ID, 10])],
    ['a sample time that is not one', encode(['relevance', 'desc', '0.5', ID, 10, 'now'])],
    ['a words pin without its time', encode(['relevance', 'desc', '0.5', ID, 'words'])],
    [
      'a words pin without its last id',
      encode(['relevance', 'desc', '0.5', ID, 'words', '2026-11-25T12:00:00.000000Z']),
    ],
    [
      'a words pin whose last id is not a uuid',
      encode(['relevance', 'desc', '0.5', ID, 'words', '2026-11-25T12:00:00.000000Z', "' OR 1=1"]),
    ],
    ['a words pin whose time is not one', encode(['relevance', 'desc', '0.5', ID, 'words', 'now', ID])],
    ['a sample with a seventh item', encode(['relevance', 'desc', '0.5', ID, 10, '2026-11-25T12:00:00.000000Z', ID])],
    [
      'a pin that is neither a page count nor words',
      encode(['relevance', 'desc', '0.5', ID, 'Words', '2026-11-25T12:00:00.000000Z']),
    ],
    ['a words pin on a sort cursor', encode(['title', 'asc', 'x', ID, 'words', '2026-11-25T12:00:00.000000Z'])],
    ['a sample on a sort cursor', encode(['title', 'asc', 'x', ID, 10, '2026-11-25T12:00:00.000000Z'])],
    ['a text key longer than any title', encode(['title', 'asc', 'x'.repeat(301), ID])],
  ])('refuses %s', (_name, text) => {
    expect(decodeCursor(text)).toBeUndefined();
  });
});
