import { Client } from 'pg';
import { destroyClientSocket } from '../../lib/internals/pg';
import { withTimeout } from '../../lib/timers';

/**
 * One plain connection for the replica monitor, outside every pool, so a check never waits for
 * (or takes) a connection the requests need. Each query has a deadline: on a frozen server
 * the socket is destroyed and the next query reconnects.
 */
export class MonitorConnection {
  private client?: Client;
  private connected?: Promise<unknown>;

  constructor(
    private readonly url: URL,
    private readonly timeoutMs: number,
    private readonly applicationName: string,
  ) {}

  async query<T>(sql: string): Promise<T[]> {
    const late = `no answer within ${this.timeoutMs} ms`;
    try {
      if (!this.client) {
        this.client = this.newClient();
        this.connected = this.client.connect();
      }
      const client = this.client;
      await withTimeout(this.connected!, this.timeoutMs, late);
      const result = await withTimeout(client.query(sql), this.timeoutMs, late);
      return result.rows as T[];
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Drops the connection at once: a frozen server would never answer a polite goodbye. */
  close(): void {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    destroyClientSocket(client);
    client.end().catch(() => undefined);
  }

  private newClient(): Client {
    const client = new Client({
      connectionString: this.url.toString(),
      connectionTimeoutMillis: this.timeoutMs,
      application_name: `${this.applicationName}-replica-monitor`,
      keepAlive: true,
    });
    // A dropped socket surfaces on the next query; the event itself must not crash the process.
    client.on('error', () => undefined);
    return client;
  }
}
