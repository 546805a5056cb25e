/**
 * GET /books on adversarial data (lib/scale-cases.ts seeds it with generate_series): every case
 * at --rows and again at --scale-rows (single connection, latency only).
 */
import type { Client } from 'pg';
import { measure } from './lib/load';
import { log } from './lib/log';
import type { BenchOptions } from './lib/options';
import { BenchPostgres, withClient } from './lib/postgres';
import { BenchReport, fmt, ScaleCase } from './lib/report';
import { scaleCases, seedScaleTable, SMOKE_SCALE_CASES } from './lib/scale-cases';
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
    const cases = options.smoke ? all.filter((c) => SMOKE_SCALE_CASES.includes(c.name)) : all;
    for (const c of cases) await measureCase(service, { ...c, rows }, options, report);
  }
}

async function measureCase(
  service: RunningServer,
  scaleCase: ScaleCase,
  options: BenchOptions,
  report: BenchReport,
): Promise<void> {
  if (!scaleCase.skipped) {
    scaleCase.measurement = await measure(service, [{ method: 'GET', path: scaleCase.path }], {
      connections: 1,
      durationS: options.latencyS,
      round: 0,
      mode: 'latency',
      label: `scale ${scaleCase.name}`,
    });
    const m = scaleCase.measurement;
    log(
      `scale ${scaleCase.rows.toLocaleString('en-US')} rows, ${scaleCase.name}: p50 ${fmt(m.latencyMs.p50, 2)} p99 ${fmt(m.latencyMs.p99, 2)} ms` +
        (m.non2xx ? ` (${m.non2xx} non-2xx ${JSON.stringify(m.statusCounts)})` : ''),
    );
  }
  report.scale.push(scaleCase);
}
