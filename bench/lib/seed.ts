import type { Client } from 'pg';

const ADJECTIVES = (
  'Silent Hidden Broken Golden Crimson Distant Frozen Burning Endless Forgotten Wandering Hollow Bright ' +
  'Quiet Restless Ancient Gentle Savage Lonely Secret Bitter Sacred Shattered Velvet Iron Paper Glass ' +
  'Northern Southern Midnight Winter Summer Autumn Spring Scarlet Emerald Silver Wild Last First'
).split(' ');
const NOUNS = (
  'Harbor Garden River Mountain Kingdom Letter Journey Empire Machine Forest Island Mirror Tower Voyage ' +
  'Promise Horizon Lantern Orchard Compass Cathedral Engine Archive Desert Meadow Harvest Station ' +
  'Library Window Bridge Theory Frontier Observer Signal Circuit Atlas Shadow Citadel Canyon Chronicle ' +
  'Witness Labyrinth Pilgrim Republic Storm Tide Valley Whisper Winterhouse Workshop Zenith'
).split(' ');
const FIRST_NAMES = (
  'Ada Amara Bruno Chiara Dmitri Elena Farid Greta Hiro Ines Jonas Kemi Lars Maya Nadia Omar Priya ' +
  'Quentin Rosa Sven Tariq Ursula Viktor Wen Xavier Yara Zane Aiko Benedict Cleo Dario Esme Felix Ghita ' +
  'Hugo Ilse Jasper Kira Leon Mirela'
).split(' ');
const LAST_NAMES = (
  'Abara Bergstrom Castellano Delacroix Eriksen Fontaine Galloway Haddad Ivanova Jankowski Kowalczyk ' +
  'Lindqvist Moreau Nakamura Okafor Petrov Quintero Rasmussen Santos Takahashi Umarov Valdivia ' +
  'Whitfield Xu Yamamoto Zielinski Achebe Brennan Cardoso Dvorak Esposito Fischer Gonzaga Holmberg ' +
  'Ibarra Jovanovic Kaur Lombardi Mendes Novak Oyelaran Pappas Quiroga Rossi Sato Tanaka Ulrich Varga ' +
  'Weber Yilmaz Zamora Aalto Bianchi Costa Duarte Eklund Ferraro Grimaldi Hartmann Iqbal'
).split(' ');

/** 2 400 authors and 2 000 title stems: a filter on one matches ~0.04–0.05 % of the rows at any size. */
export const AUTHOR_COUNT = FIRST_NAMES.length * LAST_NAMES.length;

/** A surname only the first books carry: a search whose matches do not grow with the table. */
export const RARE_SURNAME = 'Quillfeather';
export const RARE_BOOKS = 12;

export function authorOf(serial: number): string {
  if (serial < RARE_BOOKS) return `${FIRST_NAMES[serial]} ${RARE_SURNAME}`;
  const k = serial % AUTHOR_COUNT;
  return `${FIRST_NAMES[k % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(k / FIRST_NAMES.length)]}`;
}

export function titleOf(serial: number): string {
  // A different stride from the author's, so title and author vary independently.
  const k = Math.floor(serial / 7) + serial * 13;
  const stem = `${ADJECTIVES[k % ADJECTIVES.length]} ${NOUNS[Math.floor(k / ADJECTIVES.length) % NOUNS.length]}`;
  return serial % 3 === 0 ? `The ${stem}` : `${stem}, Book ${(serial % 9) + 1}`;
}

/** A valid ISBN-13: the 3-digit prefix, 9 digits of serial, and the check digit. */
export function isbnOf(prefix: '978' | '979', serial: number): string {
  if (serial < 0 || serial >= 1e9) throw new RangeError(`ISBN serial out of range: ${serial}`);
  const first12 = prefix + String(serial).padStart(9, '0');
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return first12 + String((10 - (sum % 10)) % 10);
}

/** A book as POST /books takes it; `serial` makes the ISBN unique. */
export function newBookBody(prefix: '978' | '979', serial: number): Record<string, unknown> {
  return {
    title: titleOf(serial),
    author: authorOf(serial),
    isbn: isbnOf(prefix, serial),
    publishedYear: 1900 + (serial % 125),
    pageCount: 100 + (serial % 700),
    summary: `A benchmark book, number ${serial}.`,
  };
}

const BATCH = 50_000;

/**
 * Inserts books with serials [from, to) in batches of array parameters (one round trip per
 * 50 000 rows). ISBN prefix 978 is for seeded rows, 979 for rows the load creates.
 * created_at runs one millisecond apart, in serial order, ending now.
 */
export async function insertBooks(
  client: Client,
  prefix: '978' | '979',
  from: number,
  to: number,
  onBatch?: (done: number) => void,
): Promise<void> {
  for (let start = from; start < to; start += BATCH) {
    const end = Math.min(to, start + BATCH);
    const cols = { title: [] as string[], author: [] as string[], isbn: [] as string[], year: [] as number[] };
    const pages: number[] = [];
    const summaries: string[] = [];
    const ages: number[] = [];
    for (let serial = start; serial < end; serial++) {
      const book = newBookBody(prefix, serial);
      cols.title.push(book.title as string);
      cols.author.push(book.author as string);
      cols.isbn.push(book.isbn as string);
      cols.year.push(book.publishedYear as number);
      pages.push(book.pageCount as number);
      summaries.push(book.summary as string);
      ages.push(to - serial);
    }
    await client.query(
      `INSERT INTO books (title, author, isbn, published_year, page_count, summary, created_at, updated_at, version)
       SELECT t, a, i, y, p, s, now() - make_interval(secs => age / 1000.0), now() - make_interval(secs => age / 1000.0), 1
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::int[]) AS u(t, a, i, y, p, s, age)`,
      [cols.title, cols.author, cols.isbn, cols.year, pages, summaries, ages],
    );
    onBatch?.(end - from);
  }
}
