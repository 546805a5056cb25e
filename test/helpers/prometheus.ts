import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../src/lib/free-port';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  /** An instant query through the HTTP API; throws on a non-success answer. */
  query(promql: string): Promise<PromSeries[]>;
  /** Polls `promql` until `accept` holds for its result (Prometheus scrapes on its own clock). */
  waitFor(promql: string, accept: (series: PromSeries[]) => boolean, timeoutMs?: number): Promise<PromSeries[]>;
  stop(): Promise<void>;
}

/** The scrape configuration docker-compose.yml gives its Prometheus. */
export const DEPLOYED_CONFIG = path.resolve(__dirname, '../../deploy/prometheus/prometheus.yml');

export interface ScrapeJob {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[] }[];
}

export function deployedScrapeJob(job = 'bookapi'): ScrapeJob {
  const config = parse(fs.readFileSync(DEPLOYED_CONFIG, 'utf8')) as { scrape_configs: ScrapeJob[] };
  const found = config.scrape_configs.find((candidate) => candidate.job_name === job);
  if (!found) throw new Error(`${DEPLOYED_CONFIG} has no job ${job}`);
  return found;
}

/**
 * Debian's Prometheus (`apt-get install prometheus`) on a free port, running the deployed scrape
 * job (deploy/prometheus/prometheus.yml) with its targets replaced by `target` (host:port) and
 * scraping every 500 ms, with its storage in a temporary folder removed by stop().
 */
export async function startPrometheus(target: string, job = 'bookapi'): Promise<RunningPrometheus> {
  if (!fs.existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install prometheus`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-prometheus-'));
  const scrape = { ...deployedScrapeJob(job), static_configs: [{ targets: [target] }] };
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    stringify({ global: { scrape_interval: '500ms', scrape_timeout: '400ms' }, scrape_configs: [scrape] }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited (${proc.exitCode}) before it was ready:\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: PromSeries[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed: ${body.error}`);
    return body.data.result;
  };
  const waitFor = async (promql: string, accept: (series: PromSeries[]) => boolean, timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const series = await query(promql);
      if (accept(series)) return series;
      if (Date.now() > until) {
        throw new Error(`${promql} never gave the expected series; last: ${JSON.stringify(series)}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  return { url, query, waitFor, stop };
}
