import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Daemon } from './daemon';
import { freePort } from '../../src/lib/free-port';
import { handOver } from './service-user';

export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/**
 * Debian's PgBouncer in transaction mode with a small pool, in front of a PostgreSQL on
 * 127.0.0.1:`serverPort` (any database name, trust auth), on a free port of its own.
 */
export class PgBouncer {
  private constructor(
    private readonly daemon: Daemon,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(serverPort: number, options: { poolSize?: number } = {}): Promise<PgBouncer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-pgbouncer-'));
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
    fs.writeFileSync(
      path.join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=127.0.0.1 port=${serverPort}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        "unix_socket_dir = ''",
        'auth_type = trust',
        `auth_file = ${dir}/userlist.txt`,
        'pool_mode = transaction',
        `default_pool_size = ${options.poolSize ?? 4}`,
        'max_client_conn = 500',
        // Reconnect to a PostgreSQL that came back within a second, not the default 15 s.
        'server_login_retry = 1',
        'admin_users = postgres',
        '',
      ].join('\n'),
    );
    handOver(dir);
    const daemon = await Daemon.start('pgbouncer', PGBOUNCER_BIN, [path.join(dir, 'pgbouncer.ini')], port, dir);
    return new PgBouncer(daemon, dir, port);
  }

  url(database: string): URL {
    return new URL(`postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}`);
  }

  get log(): string {
    return this.daemon.log;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
