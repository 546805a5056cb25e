import type { Client } from 'pg';
import { MAX_OFFSET_ROWS } from '../../src/books/dto/offset-cap';
import { encodeCursor } from '../../src/books/book-cursor';
import * as fs from 'node:fs';
import type { BenchReport, ScaleCase } from './report';

/**
 * The scale section's table: `rows` books made by one generate_series statement, so
 * a million take seconds. Book i (1..rows) is created i seconds after 2020; its title carries
 * marker words that give adversarial distributions for `q` and `search`:
 *   Tailwind   4 % of rows, all among the newest (last in createdAt order)
 *   Headwind   4 %, all among the oldest
 *   Everywhere 4 %, spread evenly
 *   Halfway    50 %
 *   Needle     0.01 % (at least one book)
 *   Nowhere    0 % (no book has it)
 */
export const SCALE_MARKERS = {
  newest: 'Tailwind',
  oldest: 'Headwind',
  spread: 'Everywhere',
  half: 'Halfway',
  rare: 'Needle',
  none: 'Nowhere',
};

const ADJECTIVES =
  'Silent Hidden Broken Golden Crimson Distant Frozen Burning Endless Forgotten Wandering Hollow Bright Quiet Restless Ancient Gentle Savage Lonely Secret Bitter Sacred Shattered Velvet Iron Paper Glass Northern Southern Midnight Summer Autumn Spring Scarlet Emerald Wild Last First';
const NOUNS =
  'Harbor Garden River Mountain Kingdom Letter Journey Empire Machine Forest Island Mirror Tower Voyage Promise Horizon Lantern Orchard Compass Engine Archive Desert Harvest Station Library Window Bridge Theory Frontier Observer Signal Circuit Atlas Shadow Citadel Canyon Chronicle Witness Labyrinth Pilgrim Republic Storm Tide Valley Whisper Workshop Zenith';
const FIRST =
  'Ada Amara Bruno Chiara Dmitri Elena Farid Greta Hiro Ines Jonas Kemi Lars Maya Nadia Omar Priya Quentin Rosa Sven Tariq Ursula Viktor Wen Xavier Yara Zane Aiko Benedict Cleo Dario Esme Felix Ghita Hugo Ilse Jasper Kira Leon Mirela';
const LAST =
  'Abara Bergstrom Castellano Delacroix Eriksen Fontaine Galloway Haddad Ivanova Jankowski Kowalczyk Lindqvist Moreau Nakamura Okafor Petrov Quintero Rasmussen Santos Takahashi Umarov Valdivia Whitfield Xu Yamamoto Zielinski Achebe Brennan Cardoso Dvorak Esposito Fischer Gonzaga Holmberg Ibarra Jovanovic Kaur Lombardi Mendes Novak Oyelaran Pappas Quiroga Rossi Sato Tanaka Ulrich Varga Weber Yilmaz Zamora Aalto Bianchi Costa Duarte Eklund Ferraro Grimaldi Hartmann Iqbal';

/** Empties the table and seeds `rows` books in one statement (the trigger fills search_vector). */
export async function seedScaleTable(client: Client, rows: number): Promise<void> {
  const m = SCALE_MARKERS;
  const tail = Math.max(1, Math.floor(rows * 0.04));
  await client.query('TRUNCATE books');
  await client.query(
    `WITH w AS (SELECT string_to_array($1, ' ') a, string_to_array($2, ' ') n, string_to_array($3, ' ') f, string_to_array($4, ' ') l)
     INSERT INTO books (title, author, isbn, published_year, page_count, summary, created_at, updated_at, version)
     SELECT concat_ws(' ', a[1 + k % array_length(a, 1)], n[1 + (k / 7) % array_length(n, 1)],
              CASE WHEN i > $5::int - $6::int THEN '${m.newest}' END,
              CASE WHEN i <= $6::int THEN '${m.oldest}' END,
              CASE WHEN i % 25 = 0 THEN '${m.spread}' END,
              CASE WHEN i % 2 = 0 THEN '${m.half}' END,
              CASE WHEN i % 10000 = 7 THEN '${m.rare}' END),
            f[1 + i % array_length(f, 1)] || ' ' || l[1 + (i / 41) % array_length(l, 1)],
            '978' || lpad(i::text, 10, '0'), 1900 + k % 125, 100 + i % 700, 'Book ' || i,
            timestamptz '2020-01-01' + i * interval '1 second', timestamptz '2020-01-01' + i * interval '1 second', 1
     FROM generate_series(1, $5::int) AS i, w, LATERAL (SELECT (i * 2654435761::bigint) % 1000003 AS k) AS h`,
    [ADJECTIVES, NOUNS, FIRST, LAST, rows, tail],
  );
  await client.query('VACUUM (ANALYZE) books');
  await client.query('VACUUM (ANALYZE) book_words');
}

/** The case every other one is measured beside and compared with. */
export const PAGE_ONE = 'page 1';

/** The GET /books shapes the OpenAPI document offers, on the table seedScaleTable made. */
export async function scaleCases(client: Client, rows: number): Promise<Omit<ScaleCase, 'rows'>[]> {
  const deepPage = Math.max(2, Math.floor(rows / 2 / 20));
  const { rows: middle } = await client.query<{ key: string; id: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key, id
     FROM books ORDER BY created_at, id OFFSET $1 LIMIT 1`,
    [(deepPage - 1) * 20 - 1],
  );
  const cursor = encodeCursor({ sort: 'createdAt', order: 'asc', key: middle[0].key, id: middle[0].id });
  const { rows: authors } = await client.query<{ author: string }>(`SELECT author FROM books LIMIT 1`);
  const m = SCALE_MARKERS;
  const q = (term: string, extra = '') => `/books?limit=20&q=${encodeURIComponent(term)}${extra}`;
  const search = (words: string) => `/books?limit=20&search=${encodeURIComponent(words)}`;
  return [
    { name: PAGE_ONE, path: '/books?limit=20' },
    // Offsets stop at page × limit = MAX_OFFSET_ROWS (deeper is a 400 pointing to cursor): the last page allowed.
    { name: 'last offset page (capped)', path: `/books?limit=20&page=${Math.min(deepPage, MAX_OFFSET_ROWS / 20)}` },
    { name: 'deep page, cursor', path: `/books?limit=20&cursor=${cursor}` },
    { name: 'sort title desc', path: '/books?limit=20&sort=title&order=desc' },
    { name: 'filter author (exact)', path: `/books?limit=20&author=${encodeURIComponent(authors[0].author)}` },
    { name: 'filter publishedFrom..To (4 %)', path: '/books?limit=20&publishedFrom=2000&publishedTo=2004' },
    { name: 'q 0 %', path: q(m.none) },
    { name: 'q 0.01 %', path: q(m.rare) },
    { name: 'q 4 % spread', path: q(m.spread) },
    { name: 'q 4 % newest, oldest first', path: q(m.newest) },
    { name: 'q 4 % newest, by cursor', path: q(m.newest, '&cursor=*') },
    { name: 'q 4 % newest, newest first', path: q(m.newest, '&order=desc') },
    { name: 'q 4 % oldest, newest first', path: q(m.oldest, '&order=desc') },
    { name: 'q 4 % oldest, sort title', path: q(m.oldest, '&sort=title') },
    { name: 'q 50 %', path: q(m.half) },
    { name: 'q long term', path: q(`Silent Harbor ${m.half}`) },
    { name: 'q short term (3 letters)', path: q('ind') },
    { name: 'q 2 letters (400)', path: q('in') },
    { name: 'search 0 %', path: search(m.none) },
    { name: 'search 0.01 %', path: search(m.rare) },
    { name: 'search 4 % newest', path: search(m.newest) },
    { name: 'search 4 % spread', path: search(m.spread) },
    { name: 'search 4 % oldest', path: search(m.oldest) },
    { name: 'search 50 %', path: search(m.half) },
    { name: 'search two words', path: search(`silent ${m.spread}`) },
    // 'Silent' is in ~2.6 % of the titles, Halfway in half: ~1.3 % match (docs/decisions/0016-search-words-table.md).
    { name: 'search two words, one in half the books', path: search(`${m.half} silent`) },
    // Together in ~0.05 %: too few for book_words' merge; the index reads silent and Everywhere, the rows Halfway.
    { name: 'search three words, one in half the books', path: search(`${m.half} silent ${m.spread}`) },
  ];
}

/** The few cases `--smoke` runs, one per plan, to keep it seconds long. */
export const SMOKE_SCALE_CASES = [PAGE_ONE, 'q 4 % newest, oldest first', 'q 2 letters (400)', 'search 4 % newest'];

/**
 * A `--scale-only` run's report merged into the earlier full run in `file` (when there is one):
 * the full run's sections stay, the scale section and its provenance are this run's.
 */
export function mergeScaleRun(file: string, run: BenchReport): BenchReport {
  if (!fs.existsSync(file)) return run;
  const earlier = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
  return {
    ...earlier,
    scale: run.scale,
    scaleRun: { command: run.command, commit: run.commit, startedAt: run.startedAt, postgres: run.postgres },
  };
}
