/**
 * GET /books as the table grows: each case at the seeded size and, with --scale-rows, again
 * after growing the table (single connection, latency only).
 */
import type { Client } from 'pg';
import { encodeCursor } from '../src/books/book-cursor';
import { measure } from './lib/load';
import { log } from './lib/log';
import type { BenchOptions } from './lib/options';
import { BenchPostgres, vacuumBooks, withClient } from './lib/postgres';
import { BenchReport, fmt, ScaleCase } from './lib/report';
import { authorOf, insertBooks, RARE_BOOKS, RARE_SURNAME, titleOf } from './lib/seed';
import type { RunningServer } from './lib/servers';

export async function runScaleCases(
  service: RunningServer,
  options: BenchOptions,
  pg: BenchPostgres,
  report: BenchReport,
): Promise<void> {
  const url = pg.urlOf(pg.database);
  const sql = <T>(work: (client: Client) => Promise<T>) => withClient(url, work);
  await measureAt(service, options.rows, options, url, report);
  if (!options.scaleRows) return;
  log(`growing the table to ${options.scaleRows.toLocaleString('en-US')} books`);
  const from = options.rows;
  let next = 0;
  await sql((client) =>
    insertBooks(client, '978', from, options.scaleRows, (done) => {
      if (done >= next) {
        log(`  ${(from + done).toLocaleString('en-US')} rows`);
        next += 200_000;
      }
    }),
  );
  await vacuumBooks(url);
  await measureAt(service, options.scaleRows, options, url, report);
}

async function measureAt(
  service: RunningServer,
  rows: number,
  options: BenchOptions,
  url: URL,
  report: BenchReport,
): Promise<void> {
  const sql = <T>(work: (client: Client) => Promise<T>) => withClient(url, work);
  const deepPage = Math.max(2, Math.floor(rows / 2 / 20));
  // The deep page by cursor starts after the last book of the page before it.
  const cursor = await sql(async (client) => {
    const { rows } = await client.query<{ key: string; id: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key, id
         FROM books ORDER BY created_at, id OFFSET $1 LIMIT 1`,
      [(deepPage - 1) * 20 - 1],
    );
    return encodeCursor({ sort: 'createdAt', order: 'asc', key: rows[0].key, id: rows[0].id });
  });
  const cases: Omit<ScaleCase, 'rows'>[] = [
    { name: 'page 1', path: '/books?limit=20' },
    { name: 'deep page, offset', path: `/books?limit=20&page=${deepPage}` },
    { name: 'deep page, cursor', path: `/books?limit=20&cursor=${cursor}` },
    { name: `filter q, ${RARE_BOOKS} matches at any size`, path: `/books?limit=20&q=${RARE_SURNAME.toLowerCase()}` },
    {
      name: 'filter q, 0.06 % of rows match',
      path: `/books?limit=20&q=${encodeURIComponent(titleOf(4321).replace(/^The |, Book \d$/g, ''))}`,
    },
    { name: 'filter author (exact)', path: `/books?limit=20&author=${encodeURIComponent(authorOf(1234))}` },
    { name: 'sort title desc', path: '/books?limit=20&sort=title&order=desc' },
  ];
  for (const c of cases) {
    const scaleCase: ScaleCase = { ...c, rows };
    if (!c.skipped) {
      scaleCase.measurement = await measure(service, [{ method: 'GET', path: c.path }], {
        connections: 1,
        durationS: options.latencyS,
        round: 0,
        mode: 'latency',
        label: `scale ${c.name}`,
      });
      const m = scaleCase.measurement;
      log(
        `scale ${rows.toLocaleString('en-US')} rows, ${c.name}: p50 ${fmt(m.latencyMs.p50, 2)} p99 ${fmt(m.latencyMs.p99, 2)} ms` +
          (m.non2xx ? ` (${m.non2xx} non-2xx ${JSON.stringify(m.statusCounts)})` : ''),
      );
    }
    report.scale.push(scaleCase);
  }
}
