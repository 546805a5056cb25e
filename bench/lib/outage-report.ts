import type { Target } from './report';

/** One fault put on a server, and when each client first saw it and first saw it end. */
export interface OutageSample {
  /** Milliseconds from the fault (stop, SIGSTOP) to the first sign of it: 503 or error, or "replica down". */
  detectMs?: number;
  /** Milliseconds from the end of the fault (PostgreSQL accepting again, SIGCONT) to the first good answer. */
  recoverMs?: number;
  /** The baseline's figures for the same fault, when one ran beside the service. */
  baseline?: { detectMs?: number; recoverMs?: number };
  /** Answers during the fault that were neither 2xx nor 503 (a 500, a dropped connection): should be 0. */
  otherErrors: number;
  /** Slowest answer to a request sent during the fault. */
  slowestMs: number;
}

export type OutageKind = 'stop' | 'freeze' | 'replica-freeze';

export interface OutageReport {
  command: string;
  commit: string;
  startedAt: string;
  postgres: string;
  /** How long each fault was held (the window in which detectMs must fall). */
  holdMs: number;
  /** The service's settings that bound each figure, as it parsed them. */
  settings: { probeTimeoutMs: number; replicaCheckIntervalMs: number; replicaTimeoutMs: number };
  samples: Partial<Record<OutageKind, OutageSample[]>>;
  /** Why a kind was not measured (no pg_basebackup, say). */
  notRun: Partial<Record<OutageKind, string>>;
}

interface Row {
  kind: OutageKind;
  figure: 'detectMs' | 'recoverMs';
  name: string;
  /** The bound, and the setting it comes from. */
  bound: (s: OutageReport['settings']) => { ms: number; why: string };
}

/** The fixed time a watchdog verdict is reused (src/database/runtime/connection-watchdog.ts). */
const VERDICT_FRESH_MS = 250;

const ROWS: Row[] = [
  {
    kind: 'stop',
    figure: 'detectMs',
    name: 'PostgreSQL stopped (fast shutdown): to the first 503',
    bound: (s) => ({ ms: 1.5 * s.probeTimeoutMs, why: '1.5 × DB_PROBE_TIMEOUT_MS; refused connects fail at once' }),
  },
  {
    kind: 'stop',
    figure: 'recoverMs',
    name: 'PostgreSQL back (pg_ctl start returned): to the first 2xx',
    bound: () => ({ ms: VERDICT_FRESH_MS, why: 'a probe verdict is reused 250 ms' }),
  },
  {
    kind: 'freeze',
    figure: 'detectMs',
    name: 'PostgreSQL frozen (SIGSTOP): to the first 503',
    bound: (s) => ({ ms: 1.5 * s.probeTimeoutMs, why: '1.5 × DB_PROBE_TIMEOUT_MS (the watchdog)' }),
  },
  {
    kind: 'freeze',
    figure: 'recoverMs',
    name: 'PostgreSQL thawed (SIGCONT): to the first 2xx',
    bound: () => ({ ms: VERDICT_FRESH_MS, why: 'a probe verdict is reused 250 ms' }),
  },
  {
    kind: 'replica-freeze',
    figure: 'detectMs',
    name: 'Replica frozen (SIGSTOP): until reads stop going to it',
    bound: (s) => ({
      ms: s.replicaCheckIntervalMs + s.replicaTimeoutMs,
      why: 'DB_REPLICA_CHECK_INTERVAL_MS + DB_REPLICA_TIMEOUT_MS',
    }),
  },
  {
    kind: 'replica-freeze',
    figure: 'recoverMs',
    name: 'Replica thawed (SIGCONT): to the first read it serves',
    bound: (s) => ({
      ms: s.replicaCheckIntervalMs + 2 * s.replicaTimeoutMs,
      why: 'DB_REPLICA_CHECK_INTERVAL_MS + 2 × DB_REPLICA_TIMEOUT_MS: the check under way may wait out its connect and query',
    }),
  },
];

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'none' : `${Math.round(v)} ms`);

/** The middle sample (the upper one of an even count); a miss (Infinity) counts, unlike report.ts's median. */
function middle(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function figures(samples: OutageSample[], pick: (s: OutageSample) => number | undefined): number[] {
  return samples.map(pick).map((v) => v ?? Infinity);
}

/** The bounds leave out the machine's own delays (a request's handling, a busy CPU): met within this much. */
const ALLOWANCE = 1.1;

/**
 * One target per row: the median over the samples against the bound the settings give. A sample in
 * which nothing was seen counts as infinitely late, so one miss shows instead of vanishing.
 */
export function outageTargets(outage: OutageReport | undefined): Target[] {
  if (!outage) return [];
  return ROWS.flatMap((row) => {
    const samples = outage.samples[row.kind];
    if (!samples?.length) return [];
    const values = figures(samples, (s) => s[row.figure]);
    const { ms: bound, why } = row.bound(outage.settings);
    const baseline = figures(samples, (s) => s.baseline?.[row.figure]);
    const measured =
      `${ms(middle(values))} (samples ${values.map(ms).join(', ')}` +
      (samples.some((s) => s.baseline) ? `; baseline node:http + pg ${baseline.map(ms).join(', ')})` : ')');
    return [
      {
        name: `Outage: ${row.name}`,
        goal: `<= ${bound} ms (${why}; met within +10 %)`,
        measured,
        met: middle(values) <= bound * ALLOWANCE,
      },
    ];
  });
}

export function renderOutage(outage: OutageReport | undefined): string[] {
  if (!outage) return [];
  const lines = [
    '',
    '## Outages: time to 503 and back',
    '',
    `Run by \`${outage.command}\`, commit ${outage.commit}, started ${outage.startedAt}, ` +
      `${outage.postgres}. A steady stream of \`GET /books/:id\` (service and baseline side by side on the ` +
      `same cluster); each fault is held ${outage.holdMs} ms. The goals are the bounds the service's ` +
      `settings give (DB_PROBE_TIMEOUT_MS=${outage.settings.probeTimeoutMs}, ` +
      `DB_REPLICA_CHECK_INTERVAL_MS=${outage.settings.replicaCheckIntervalMs}, ` +
      `DB_REPLICA_TIMEOUT_MS=${outage.settings.replicaTimeoutMs}), plus whatever the machine adds; the ` +
      'baseline has no watchdog, so a frozen server leaves it without any answer until SIGCONT. ' +
      '"Other errors" are answers during a fault that were neither 2xx nor 503.',
    '',
    '| Fault | Sample | Service: detected | Service: back | Baseline: detected | Baseline: back | Other errors | Slowest answer |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const kind of ['stop', 'freeze', 'replica-freeze'] as const) {
    const why = outage.notRun[kind];
    if (why) lines.push(`| ${kind} | – | not run: ${why} | | | | | |`);
    for (const [i, s] of (outage.samples[kind] ?? []).entries()) {
      lines.push(
        `| ${kind} | ${i + 1} | ${ms(s.detectMs)} | ${ms(s.recoverMs)} | ${s.baseline ? ms(s.baseline.detectMs) : '–'} | ` +
          `${s.baseline ? ms(s.baseline.recoverMs) : '–'} | ${s.otherErrors} | ${ms(s.slowestMs)} |`,
      );
    }
  }
  return lines;
}
