import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Daemon } from './daemon';
import { freePort } from '../../src/lib/free-port';
import { handOver } from './service-user';
import type { AppRole } from '../../src/database/lifecycle/app-role';
import type { PgCluster } from './pg-cluster';
import { asRole, serviceRoles } from './service-roles';

export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/**
 * Debian's PgBouncer in transaction mode with a small pool, in front of a PostgreSQL on
 * 127.0.0.1:`serverPort` (any database name), on a free port of its own. It knows one user, the
 * service's serving role, and checks its password (SCRAM), as a deployed pooler does.
 */
export class PgBouncer {
  private constructor(
    private readonly daemon: Daemon,
    private readonly dir: string,
    readonly port: number,
    private readonly role: AppRole,
  ) {}

  static async start(serverPort: number, options: { poolSize?: number } = {}): Promise<PgBouncer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-pgbouncer-'));
    const port = await freePort();
    const role = serviceRoles().serving;
    // Written for this run only (mode 0600); the password also logs PgBouncer in to the server.
    fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${role.name}" "${role.password}"\n`, { mode: 0o600 });
    fs.writeFileSync(
      path.join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=127.0.0.1 port=${serverPort}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        "unix_socket_dir = ''",
        'auth_type = scram-sha-256',
        `auth_file = ${dir}/userlist.txt`,
        'pool_mode = transaction',
        `default_pool_size = ${options.poolSize ?? 4}`,
        'max_client_conn = 500',
        // Reconnect to a PostgreSQL that came back within a second, not the default 15 s.
        'server_login_retry = 1',
        '',
      ].join('\n'),
    );
    handOver(dir);
    const daemon = await Daemon.start('pgbouncer', PGBOUNCER_BIN, [path.join(dir, 'pgbouncer.ini')], port, dir);
    return new PgBouncer(daemon, dir, port, role);
  }

  /** The serving role's URL of `database` through the pooler. */
  url(database: string): URL {
    return asRole(new URL(`postgres://127.0.0.1:${this.port}/${encodeURIComponent(database)}`), this.role);
  }

  /** The service's database settings with this pooler in front of `cluster`: serving through it, migrating direct. */
  serviceEnv(cluster: PgCluster, database: string): Record<string, string> {
    return {
      DATABASE_URL: this.url(database).toString(),
      DATABASE_DIRECT_URL: cluster.url(database, serviceRoles().serving).toString(),
      // The owner role migrates; the superuser only creates the roles and the database.
      DATABASE_MIGRATION_URL: cluster.url(database, serviceRoles().owner).toString(),
      DATABASE_ADMIN_URL: cluster.url().toString(),
      DB_POOLER: 'transaction',
      DB_SCHEMA_MODE: 'migrate',
    };
  }

  get log(): string {
    return this.daemon.log;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
