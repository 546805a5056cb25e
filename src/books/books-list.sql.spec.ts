import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BookCursor } from './book-cursor';
import { ListStatements, type ListStatement } from './books-list.statements';
import { ListBooksQueryDto } from './dto/list-books-query.dto';

/**
 * The SQL each list plan sends, for a fixed set of requests, committed under src/books/queries/ so
 * that a change to it is reviewed as SQL. This fails when the code builds other SQL than the files
 * hold; after reviewing the change, regenerate them with REGENERATE.
 */
const REGENERATE = 'UPDATE_SQL_SNAPSHOTS=1 npm run test:unit -- --testPathPatterns books-list.sql';
const DIR = path.join(__dirname, 'queries');
const UPDATE = process.env.UPDATE_SQL_SNAPSHOTS === '1';

const ID = '0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6';
const LAST = 'ff5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6';
const AS_OF = '2026-01-02T03:04:05.678901Z';

interface Request {
  /** What the request is, as its query string (and, for a later page, its decoded cursor). */
  name: string;
  query: Partial<ListBooksQueryDto>;
  cursor?: BookCursor;
}

const list = (name: string, query: Partial<ListBooksQueryDto>, cursor?: BookCursor): Request => ({
  name,
  query,
  cursor,
});
const later = { cursor: 'opaque' };

/** Per plan: the requests it serves, and the statement it builds for one. */
const PLANS: Record<string, { requests: Request[]; build: (statements: ListStatements) => ListStatement }> = {
  estimate: {
    requests: [
      list('?author=Ursula K. Le Guin&publishedFrom=1960', { author: 'Ursula K. Le Guin', publishedFrom: 1960 }),
      list('?q=silent harbor needle', { q: 'silent harbor needle' }),
      list('?search=Halfway Silent', { search: 'Halfway Silent' }),
      list('?search=Needle', { search: 'Needle' }),
      list('?search="winter cathedral"&isbn=9780262033848', { search: '"winter cathedral"', isbn: '9780262033848' }),
    ],
    build: (statements) => statements.estimate(),
  },
  all: {
    requests: [
      list('', {}),
      list('?sort=title&order=desc&page=3&limit=50', { sort: 'title', order: 'desc', page: 3, limit: 50 }),
      list('?sort=createdAt&cursor=…', { ...later }, { sort: 'createdAt', order: 'asc', key: AS_OF, id: ID }),
    ],
    build: (statements) => statements.all(),
  },
  sparse: {
    requests: [
      list('?author=Ursula K. Le Guin', { author: 'Ursula K. Le Guin' }),
      list('?isbn=9780262033848&publishedFrom=1990&publishedTo=2000&sort=publishedYear', {
        isbn: '9780262033848',
        publishedFrom: 1990,
        publishedTo: 2000,
        sort: 'publishedYear',
      }),
      list(
        '?q=50%_off\\&sort=author&order=desc&cursor=…',
        { q: '50%_off\\', sort: 'author', order: 'desc', ...later },
        { sort: 'author', order: 'desc', key: 'Le Guin', id: ID },
      ),
    ],
    build: (statements) => statements.sparse(),
  },
  walk: {
    requests: [
      list('?q=title 1', { q: 'title 1' }),
      list(
        '?author=Anonymous&sort=publishedYear&order=desc&cursor=…',
        { author: 'Anonymous', sort: 'publishedYear', order: 'desc', ...later },
        { sort: 'publishedYear', order: 'desc', key: 1999, id: ID },
      ),
    ],
    build: (statements) => statements.walk(),
  },
  'search-sample': {
    requests: [
      list('?search=title (expected 123456)', { search: 'title' }),
      list(
        '?search=title&cursor=… (a sample page)',
        { search: 'title', ...later },
        { sort: 'relevance', order: 'desc', key: '0.0607927', id: ID, sample: { blocks: 4321, asOf: AS_OF } },
      ),
      list('?search=title&author=Anonymous (expected 123456)', { search: 'title', author: 'Anonymous' }),
    ],
    build: (statements) => statements.search('sample', 123456),
  },
  'search-index': {
    requests: [
      list('?search=winter cathedral', { search: 'winter cathedral' }),
      list(
        '?search=title 12&cursor=…',
        { search: 'title 12', ...later },
        { sort: 'relevance', order: 'desc', key: '0.0607927', id: ID },
      ),
      list('?search=halfway silent everywhere (halfway common)', { search: 'halfway silent everywhere' }),
    ],
    build: (statements) =>
      statements.search('index', undefined, statements.query.search?.startsWith('halfway') ? ['halfway'] : []),
  },
  words: {
    requests: [
      list('?search=Halfway Silent', { search: 'Halfway Silent' }),
      list(
        '?search=halfway silent everywhere&cursor=… (a words page)',
        { search: 'halfway silent everywhere', ...later },
        { sort: 'relevance', order: 'desc', key: '0.0607927', id: ID, words: { asOf: AS_OF, last: LAST } },
      ),
    ],
    build: (statements) => statements.words(),
  },
};

function render(build: (statements: ListStatements) => ListStatement, requests: Request[]): string {
  return requests
    .map(({ name, query, cursor }) => {
      const { sql, params } = build(new ListStatements(Object.assign(new ListBooksQueryDto(), query), cursor));
      return `-- GET /books${name}\n-- params: ${JSON.stringify(params)}\n${sql};\n`;
    })
    .join('\n');
}

describe('the SQL of each list plan (src/books/queries/*.sql)', () => {
  it.each(Object.keys(PLANS))('%s.sql holds the SQL the code builds', (plan) => {
    const file = path.join(DIR, `${plan}.sql`);
    const built = render(PLANS[plan].build, PLANS[plan].requests);
    if (UPDATE) fs.writeFileSync(file, built);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)';
    const problem =
      committed === built
        ? undefined
        : `src/books/queries/${plan}.sql is not the SQL the code builds. If the change is meant, regenerate it:\n` +
          `  ${REGENERATE}\n${firstDifference(committed, built)}`;
    expect(problem).toBeUndefined();
  });

  it('holds no file for a plan it does not build', () => {
    const files = fs.readdirSync(DIR).filter((name) => name.endsWith('.sql'));
    expect(files.sort()).toEqual(
      Object.keys(PLANS)
        .map((plan) => `${plan}.sql`)
        .sort(),
    );
  });
});

function firstDifference(committed: string, built: string): string {
  const a = committed.split('\n');
  const b = built.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `first difference at line ${at + 1}:\n  committed: ${a[at] ?? '(end of file)'}\n  built:     ${b[at] ?? '(end of file)'}`;
}
