import { registerAs } from '@nestjs/config';
import { databaseNameOf, withDatabase } from '../lib/url';
import { EnvReader } from './env-parsers';

export interface ReplicasConfig {
  /** Streaming replicas that serve GET /books and GET /books/:id; empty means every read goes to the primary. */
  urls: URL[];
  /** A replica whose replay is further behind the primary than this is skipped. */
  maxLagMs: number;
  /** How often the background monitor asks the primary and each replica for their WAL positions. */
  checkIntervalMs: number;
  /** Budget of one monitor check; also the watchdog probe budget of a read on a replica. */
  timeoutMs: number;
}

export function buildReplicasConfig(env: Record<string, string | undefined>): ReplicasConfig {
  const read = new EnvReader(env);
  const raw = read.string('DATABASE_REPLICA_URLS');
  const urls: URL[] = [];
  if (raw !== undefined) {
    // DATABASE_URL itself is checked by the database config; here only its database name matters.
    const primary = new EnvReader(env).postgresUrl('DATABASE_URL');
    if (!primary)
      read.problem('DATABASE_REPLICA_URLS is set but DATABASE_URL is not (replicas follow a server you run)');
    raw.split(',').forEach((item, index) => {
      const name = `DATABASE_REPLICA_URLS item ${index + 1}`;
      const one = new EnvReader({ [name]: item });
      const url = one.postgresUrl(name);
      if (item.trim() === '') read.problem(`${name} is empty (remove the stray comma)`);
      read.problems.push(...one.problems);
      // A replica holds the whole cluster: without a database it reads the primary's.
      if (url && primary && !databaseNameOf(url)) urls.push(withDatabase(url, databaseNameOf(primary)));
      else if (url) urls.push(url);
    });
  }
  const config: ReplicasConfig = {
    urls,
    maxLagMs: read.int('DB_REPLICA_MAX_LAG_MS', 5000, 0, 3_600_000),
    checkIntervalMs: read.int('DB_REPLICA_CHECK_INTERVAL_MS', 250, 20, 60_000),
    timeoutMs: read.int('DB_REPLICA_TIMEOUT_MS', 500, 50, 60_000),
  };
  read.done();
  return config;
}

export const replicasConfig = registerAs('replicas', () => buildReplicasConfig(process.env));
