import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Daemon } from './daemon';
import { freePort } from '../../src/lib/free-port';
import { handOver } from './service-user';

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

/**
 * Debian's haproxy in front of instances on 127.0.0.1, with the repository's settings
 * (deploy/haproxy/haproxy.cfg): the same defaults and backend options, local addresses.
 */
export class HaProxy {
  private constructor(
    private readonly daemon: Daemon,
    private readonly dir: string,
    readonly port: number,
    private readonly statsPort: number,
  ) {}

  static async start(backendPorts: number[]): Promise<HaProxy> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-haproxy-'));
    const [port, statsPort] = [await freePort(), await freePort()];
    const cfg = fs
      .readFileSync(path.resolve(__dirname, '../../deploy/haproxy/haproxy.cfg'), 'utf8')
      .replace(/^(\s*bind )\S+:8080$/m, `$1127.0.0.1:${port}`)
      .replace(/^(\s*bind )\S+:8404$/m, `$1127.0.0.1:${statsPort}`)
      .replace(/^(\s*)server api1 .*$/m, (_line, indent: string) =>
        backendPorts.map((p, i) => `${indent}server api${i + 1} 127.0.0.1:${p}`).join('\n'),
      )
      .replace(/^\s*server api(?:[2-9]|\d\d+) \S+:3000$/gm, '');
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
    handOver(dir);
    const daemon = await Daemon.start('haproxy', HAPROXY_BIN, ['-db', '-f', path.join(dir, 'haproxy.cfg')], port, dir);
    return new HaProxy(daemon, dir, port, statsPort);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The health-check state haproxy holds for each server (UP, DOWN, "UP 1/2", …), from its CSV stats. */
  async serverStates(): Promise<Record<string, string>> {
    const csv = await (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`)).text();
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = header.split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((name) => columns.indexOf(name));
    const states: Record<string, string> = {};
    for (const row of rows.map((line) => line.split(','))) {
      if (row[px] === 'api' && /^api\d+$/.test(row[sv])) states[row[sv]] = row[status];
    }
    return states;
  }

  get log(): string {
    return this.daemon.log;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
