import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Daemon } from './daemon';
import { freePort } from '../../src/lib/free-port';
import { handOver } from './service-user';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** A private redis-server on 127.0.0.1 (never the machine's 6379), no persistence; restartable on its port. */
export class RedisServer {
  private daemon?: Daemon;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<RedisServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-redis-'));
    handOver(dir);
    const server = new RedisServer(dir, await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.daemon = await Daemon.start(
      'redis-server',
      REDIS_SERVER_BIN,
      [...args, '--dir', this.dir],
      this.port,
      this.dir,
    );
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
  }

  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
