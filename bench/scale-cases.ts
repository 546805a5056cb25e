/**
 * GET /books on adversarial data (lib/scale-cases.ts seeds it with generate_series): every case
 * at --rows and again at --scale-rows (single connection, latency only), in rounds beside page 1.
 */
import type { Client } from 'pg';
import { measure } from './lib/load';
import { log } from './lib/log';
import type { BenchOptions } from './lib/options';
import { BenchPostgres, withClient } from './lib/postgres';
import { BenchReport, fmt, ScaleCase } from './lib/report';
import { PAGE_ONE, scaleCases, seedScaleTable, SMOKE_SCALE_CASES } from './lib/scale-cases';
import type { RunningServer } from './lib/servers';

export async function runScaleCases(
  service: RunningServer,
  options: BenchOptions,
  pg: BenchPostgres,
  report: BenchReport,
): Promise<void> {
  const url = pg.urlOf(pg.database);
  const sql = <T>(work: (client: Client) => Promise<T>) => withClient(url, work);
  for (const rows of [options.rows, options.scaleRows].filter((n) => n > 0)) {
    log(`scale: seeding ${rows.toLocaleString('en-US')} books with generate_series`);
    const seedStart = Date.now();
    await sql((client) => seedScaleTable(client, rows));
    log(`scale: seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    const all = await sql((client) => scaleCases(client, rows));
    const cases: ScaleCase[] = (options.smoke ? all.filter((c) => SMOKE_SCALE_CASES.includes(c.name)) : all).map(
      (c) => ({ ...c, rows }),
    );
    await measureRounds(service, cases, options);
    report.scale.push(...cases);
  }
}

/**
 * Each round runs every case back to back with page 1, who goes first alternating, so that a
 * case's ratio to page 1 is taken at one moment of a shared machine; rounds run one after the
 * other, so each case's samples spread over the whole step.
 */
async function measureRounds(service: RunningServer, cases: ScaleCase[], options: BenchOptions): Promise<void> {
  const pageOne = cases.find((c) => c.name === PAGE_ONE);
  const run = (c: ScaleCase, round: number) =>
    measure(service, [{ method: 'GET', path: c.path }], {
      connections: 1,
      durationS: options.latencyS,
      round,
      mode: 'latency',
      label: `scale ${c.name}`,
    });
  // The first requests after seeding read a cold table; no case should pay for that.
  if (pageOne) await run(pageOne, 0);
  for (const c of cases) if (!c.skipped) Object.assign(c, { runs: [], pageOneP50Ms: pageOne ? [] : undefined });
  for (let round = 1; round <= options.scaleRounds; round++) {
    for (const [i, c] of cases.entries()) {
      if (c.skipped || c === pageOne) continue;
      const pageFirst = (round + i) % 2 === 0;
      const first = await run(pageFirst && pageOne ? pageOne : c, round);
      const second = pageOne ? await run(pageFirst ? c : pageOne, round) : undefined;
      const [mine, page] = pageFirst && second ? [second, first] : [first, second];
      c.runs!.push(mine);
      if (page) {
        pageOne!.runs!.push(page);
        c.pageOneP50Ms!.push(page.latencyMs.p50);
      }
      log(
        `scale ${c.rows.toLocaleString('en-US')} rows, round ${round}, ${c.name}: p50 ${fmt(mine.latencyMs.p50, 2)} p99 ${fmt(mine.latencyMs.p99, 2)} ms` +
          (page
            ? `; page 1 ${fmt(page.latencyMs.p50, 2)} ms, ${fmt(mine.latencyMs.p50 / page.latencyMs.p50, 2)}x`
            : '') +
          (mine.non2xx ? ` (${mine.non2xx} non-2xx ${JSON.stringify(mine.statusCounts)})` : ''),
      );
    }
  }
}
