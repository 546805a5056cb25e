import { isbn10CheckDigit, isbn13CheckDigit } from '../../src/books/isbn';
import { query } from '../helpers/test-database';

/** What POST /books accepts. */
export interface BookInput {
  title: string;
  author: string;
  isbn: string;
  publishedYear: number;
  pageCount?: number | null;
  summary?: string | null;
}

/** A books row as stored, with snake_case columns. */
export interface BookRow {
  id: string;
  title: string;
  author: string;
  isbn: string;
  published_year: number;
  page_count: number | null;
  summary: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

// Random start so ISBNs from one suite never look like another's in a shared log.
let sequence = Math.floor(Math.random() * 1e8);

/** The 9 digits shared by an ISBN-10 and its ISBN-13 (978 prefix). */
function nextBody(): string {
  sequence = (sequence + 1) % 1e9;
  return String(sequence).padStart(9, '0');
}

/** The valid ISBN-13 numbered `serial` under a prefix: the same every run. */
export function isbn13Of(prefix: '978' | '979', serial: number): string {
  const first12 = prefix + String(serial).padStart(9, '0');
  return first12 + isbn13CheckDigit(first12);
}

/** A fresh, valid ISBN-13 (digits only). */
export function uniqueIsbn13(): string {
  const first12 = '978' + nextBody();
  return first12 + isbn13CheckDigit(first12);
}

/** A fresh, valid ISBN-10 and the ISBN-13 the API stores for it. */
export function uniqueIsbn10(): { isbn10: string; isbn13: string } {
  const body = nextBody();
  const first12 = '978' + body;
  return { isbn10: body + isbn10CheckDigit(body), isbn13: first12 + isbn13CheckDigit(first12) };
}

/** A valid book with a fresh ISBN-13. */
export function bookInput(overrides: Partial<BookInput> = {}): BookInput {
  return {
    title: 'The Pragmatic Programmer',
    author: 'Andrew Hunt',
    isbn: uniqueIsbn13(),
    publishedYear: 1999,
    pageCount: 352,
    summary: 'From journeyman to master.',
    ...overrides,
  };
}

export async function bookRow(url: URL, id: string): Promise<BookRow | undefined> {
  const [row] = await query<BookRow & Record<string, unknown>>(url, 'SELECT * FROM books WHERE id = $1', [id]);
  return row;
}

export async function countBooks(url: URL): Promise<number> {
  const [row] = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM books');
  return row.n;
}

/** Snapshot of the whole table, for "nothing changed" assertions. */
export async function allBookRows(url: URL): Promise<BookRow[]> {
  return query<BookRow & Record<string, unknown>>(url, 'SELECT * FROM books ORDER BY id');
}
