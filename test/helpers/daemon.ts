import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { serviceUser } from './service-user';

/** A foreground daemon (pgbouncer, redis-server, haproxy) a test starts and stops. */
export class Daemon {
  private output = '';
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    proc.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  /** Runs `bin` as the service user when we are root; resolves once `port` accepts connections. */
  static async start(name: string, bin: string, args: string[], port: number, cwd: string): Promise<Daemon> {
    if (!fs.existsSync(bin)) {
      throw new Error(
        `${name} not found at ${bin}: install Debian's package (apt-get install pgbouncer haproxy redis-server)`,
      );
    }
    const proc = spawn(bin, args, { cwd, ...serviceUser(), stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new Daemon(name, proc);
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await daemon.stop();
        throw new Error(`${name} did not start on port ${port}:\n${daemon.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return daemon;
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.proc.kill(signal);
    const timer = setTimeout(() => this.running && this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
