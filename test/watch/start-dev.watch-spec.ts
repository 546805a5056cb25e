import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/lib/free-port';

const ROOT = path.resolve(__dirname, '../..');
/** Top-level entries a copy of the project does without: built, generated, or machine-local. */
const NOT_COPIED = new Set(['node_modules', 'dist', 'build', '.data', 'test-output', '.git', 'coverage', '.env']);
const STARTUP_MS = 180_000;

interface Running {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

/**
 * Whether a process is running. A zombie has exited: the CLI's `sh -c` wrapper dies first on a
 * restart, so the old app is re-parented to PID 1, which in a container may never reap it.
 */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Processes of this run still alive: anything working in the copy, and the cluster's postgres. */
function leftovers(copyDir: string, dataDir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid || !isAlive(Number(entry))) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // A process of another user, or one that just ended.
      }
      if (cmdline.includes(dataDir) || cmdline.includes(copyDir) || cwd.startsWith(copyDir)) {
        found.push(`${entry}: ${cmdline.slice(0, 160)}`);
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms: number,
  log: () => string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; output:\n${log().slice(-4000)}`);
    await sleep(250);
  }
}

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/**
 * A developer's loop: `npm run start:dev` (scripts/dev.mjs) in a copy of the project, an edit
 * to a source file, the service restarting with the edit, a type error printed by the checker,
 * then Ctrl-C's SIGTERM cousin to the whole process group, leaving no node and no postgres behind.
 */
describe('npm run start:dev (watch mode)', () => {
  let tmp: string;
  let copyDir: string;
  let dataDir: string;
  let running: Running | undefined;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-watch-'));
    // The embedded PostgreSQL runs as the postgres user, which must reach its data folder.
    fs.chmodSync(tmp, 0o755);
    copyDir = path.join(tmp, 'project');
    dataDir = path.join(tmp, 'pgdata');
    fs.cpSync(ROOT, copyDir, {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(ROOT, source);
        return !NOT_COPIED.has(relative.split(path.sep)[0]) && !relative.startsWith(path.join('bench', '.work'));
      },
    });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copyDir, 'node_modules'), 'dir');
  });

  afterAll(async () => {
    // Only on failure is anything still running: stop what this test started, by pid.
    if (running && running.proc.exitCode === null && running.proc.signalCode === null) {
      process.kill(-running.proc.pid!, 'SIGKILL');
      await running.exited;
    }
    for (const line of leftovers(copyDir, dataDir)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('restarts on a source change, serves the change, and stops with nothing left running', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    let out = '';
    const proc = spawn('npm', ['run', 'start:dev'], {
      cwd: copyDir,
      // Its own process group, as a terminal would give it; signalled as a whole below.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: String(port),
        EMBEDDED_PG_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        LOG_FORMAT: 'pretty',
        NO_COLOR: '1',
      },
    });
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    running = {
      proc,
      output: () => plain(out),
      exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    const log = running.output;
    /** PIDs of the app processes that logged "Listening on", in order. */
    const listeners = (typeErrorExpected = false) => {
      // Fail fast rather than wait out the timeout: the project has no type error until the test adds one.
      const broken = (typeErrorExpected ? /Startup failed.*/ : /Found [1-9]\d* errors?\b|Startup failed.*/).exec(log());
      if (broken) throw new Error(`start:dev did not start the app (${broken[0]}):\n${log().slice(-4000)}`);
      return [...log().matchAll(/ INFO \((\d+)\): .*Listening on http/g)].map((m) => Number(m[1]));
    };

    const firstPid = await until('the first "Listening on"', () => listeners()[0], STARTUP_MS, log);
    await until(
      '/health/live',
      async () => ((await get(`${baseUrl}/health/live`))?.status === 200 ? true : undefined),
      30_000,
      log,
    );
    const docs = JSON.parse((await get(`${baseUrl}/docs-json`))!.body) as { info: { title: string } };
    expect(docs.info.title).toBe('bookapi');

    // The edit a developer makes: a Swagger text in the copy (never in the real tree).
    const setup = path.join(copyDir, 'src/app.setup.ts');
    const source = fs.readFileSync(setup, 'utf8');
    expect(source).toContain(".setTitle('bookapi')");
    fs.writeFileSync(setup, source.replace(".setTitle('bookapi')", ".setTitle('bookapi (edited while watching)')"));

    const secondPid = await until('a second "Listening on"', () => listeners()[1], STARTUP_MS, log);
    expect(secondPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    const edited = await until(
      'the edited title in /docs-json',
      async () => {
        const reply = await get(`${baseUrl}/docs-json`);
        return reply?.status === 200 && reply.body.includes('edited while watching') ? reply : undefined;
      },
      30_000,
      log,
    );
    expect((JSON.parse(edited.body) as { info: { title: string } }).info.title).toBe('bookapi (edited while watching)');
    await expect(get(`${baseUrl}/health/ready`)).resolves.toMatchObject({ status: 200 });

    // A type error: SWC still runs the code, and the type checker says so in the same terminal.
    fs.appendFileSync(setup, "\nexport const notANumber: number = 'a string';\n");
    const typeError = await until(
      'the type checker to report the error',
      () => /src\/app\.setup\.ts\(\d+,\d+\): error TS2322/.exec(log())?.[0],
      STARTUP_MS,
      log,
    );
    expect(typeError).toContain('error TS2322');
    await until('a third "Listening on"', () => (listeners(true).length >= 3 ? true : undefined), STARTUP_MS, log);
    await until(
      '/health/ready after the third start',
      async () => ((await get(`${baseUrl}/health/ready`))?.status === 200 ? true : undefined),
      30_000,
      log,
    );

    process.kill(-proc.pid!, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      running.exited,
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 60_000))),
    ]);
    clearTimeout(timer);
    expect(exit).not.toBe('still running');
    const left = await until(
      'every process of the run to end',
      () => {
        const alive = leftovers(copyDir, dataDir);
        return alive.length === 0 ? [] : undefined;
      },
      20_000,
      () => `${log()}\nstill alive:\n${leftovers(copyDir, dataDir).join('\n')}`,
    );
    expect(left).toEqual([]);
    // Every exit was orderly: the two restarts' and the final one each stopped the cluster they started.
    expect(log()).not.toMatch(/Startup failed|Second SIG|left running .* by an earlier run/);
    expect(log().match(/Embedded PostgreSQL stopped/g)).toHaveLength(3);
  });
});
