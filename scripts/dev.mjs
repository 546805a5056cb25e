/* global process, console, setTimeout, clearTimeout */
/**
 * `npm run start:dev`: the service, restarted on every save of a file in src/.
 *
 * - SWC transpiles each saved file alone into build/dev/ (with decorator metadata and source maps).
 * - The dependencies are one esbuild bundle, built once per package-lock.json, and loaded by a
 *   standby app process (scripts/dev-app.mjs) while the current one still serves; a save stops
 *   the current app and starts the standby.
 * - `tsc --watch --noEmit` checks types in its own process (at a lower priority) and prints its
 *   errors here.
 * - In `sync` schema mode (the development default), a restart after a save that cannot change the
 *   schema (no file the DataSource options import, entities included) skips `synchronize`.
 * Why: docs/decisions/0022-fast-starts.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEnv } from 'node:util';
import { transformFile } from '@swc/core';
import { build } from 'esbuild';
import { COMMON_OPTIONS, exitOnErrors, isExternal, postProcess } from './esbuild-options.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'build', 'dev');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'bookapi-dev');
const NODE_FLAGS = (process.env.npm_package_config_nodeFlags ?? '').split(/\s+/).filter(Boolean);

/** The options Nest's SWC builder uses for a CommonJS project. */
const SWC = {
  sourceMaps: true,
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2021',
    parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  swcrc: false,
};

const isSource = (file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts');
const outFile = (file) => path.join(OUT, path.relative(SRC, file)).replace(/\.ts$/, '.js');

async function transpile(file) {
  const out = outFile(file);
  if (!fs.existsSync(file)) return fs.rmSync(out, { force: true });
  const { code, map } = await transformFile(file, {
    ...SWC,
    filename: file,
    sourceFileName: path.relative(path.dirname(out), file),
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(`${out}.map`, map);
  fs.writeFileSync(out, `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
}

/** Packages the app requires by name, from the transpiled files: the bundle's entries. */
function requiredPackages() {
  const found = new Set();
  for (const entry of fs.readdirSync(OUT, { recursive: true })) {
    if (!entry.endsWith('.js')) continue;
    for (const [, specifier] of fs.readFileSync(path.join(OUT, entry), 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
      found.add(specifier);
    }
  }
  return [...found].filter((s) => !s.startsWith('node:') && !builtinModules.includes(s) && !isExternal(s)).sort();
}

/**
 * One bundle of the dependencies, kept under node_modules/.cache until the lockfile, the list or
 * the build options change. Each package gets a one-line file that re-exports it from the bundle.
 */
async function dependencyBundle() {
  const specifiers = requiredPackages();
  const key = createHash('sha256')
    .update(fs.readFileSync(path.join(ROOT, 'package-lock.json')))
    .update(fs.readFileSync(path.join(ROOT, 'scripts', 'esbuild-options.mjs')))
    .update(fs.readFileSync(path.join(ROOT, 'scripts', 'dev.mjs')))
    .update(JSON.stringify(specifiers))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(CACHE, key);
  if (fs.existsSync(path.join(dir, 'shims.json'))) return dir;
  // Built beside, then renamed: another checkout sharing node_modules may be building the same.
  const tmp = `${dir}.${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'package.json'), '{"type":"commonjs"}\n');
  // Getters, so a package is evaluated when the app first requires it, as without the bundle.
  const entry = specifiers.map((s) => `exports[${JSON.stringify(s)}] = () => require(${JSON.stringify(s)});`);
  const result = await build({
    ...COMMON_OPTIONS,
    absWorkingDir: ROOT,
    stdin: { contents: entry.join('\n'), resolveDir: ROOT, sourcefile: 'dev-deps-entry.js' },
    outfile: path.join(tmp, 'deps.js'),
  });
  exitOnErrors(result);
  postProcess(path.join(tmp, 'deps.js'));
  const shims = {};
  specifiers.forEach((s, i) => {
    // Names only: checkouts that share node_modules (a symlink) reach this folder by different paths.
    shims[s] = `shim-${i}.js`;
    fs.writeFileSync(
      path.join(tmp, `shim-${i}.js`),
      `module.exports = require('./deps.js')[${JSON.stringify(s)}]();\n`,
    );
  });
  fs.writeFileSync(path.join(tmp, 'shims.json'), JSON.stringify(shims, null, 2));
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // the other builder won
  }
  console.log(`[dev] bundled ${specifiers.length} dependencies into ${path.relative(ROOT, dir)}/deps.js`);
  return dir;
}

// Everything from a clean slate, so a file deleted while nothing watched leaves no output behind.
fs.rmSync(OUT, { recursive: true, force: true });
const started = Date.now();
const sources = fs
  .readdirSync(SRC, { recursive: true })
  .map((f) => path.join(SRC, f))
  .filter(isSource);
await Promise.all(sources.map(transpile));
const deps = await dependencyBundle();
console.log(`[dev] ${sources.length} files transpiled in ${Date.now() - started} ms; watching src/`);

const checker = spawn(
  process.execPath,
  [
    path.join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
    '--noEmit',
    '--incremental',
    'false',
    '--watch',
    '--preserveWatchOutput',
  ],
  { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
);

try {
  os.setPriority(checker.pid, 10);
} catch {
  // Not allowed here: it checks at the same priority.
}

/** The transpiled files `file` imports, itself included, transitively. */
function closure(file, seen = new Set()) {
  if (seen.has(file) || !fs.existsSync(file)) return seen;
  seen.add(file);
  for (const [, rel] of fs.readFileSync(file, 'utf8').matchAll(/require\("(\.[^"]*)"\)/g)) {
    closure(path.resolve(path.dirname(file), rel.endsWith('.js') ? rel : `${rel}.js`), seen);
  }
  return seen;
}

/** What synchronize() reads: the DataSource options and everything they import (entities, migrations). */
function schemaKey() {
  const hash = createHash('sha256');
  for (const file of [...closure(path.join(OUT, 'database/runtime/data-source-options.js'))].sort()) {
    hash.update(file).update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

const configured = (name) => {
  if (process.env[name] !== undefined) return true;
  try {
    return parseEnv(fs.readFileSync(path.join(ROOT, '.env'), 'utf8'))[name] !== undefined;
  } catch {
    return false;
  }
};
const defaultSync = !configured('DB_SCHEMA_MODE') && process.env.NODE_ENV !== 'production';
/** The schema the last app that ran synchronize() left, while it is known to have started. */
let syncedKey;

const spawnApp = () =>
  spawn(process.execPath, [...NODE_FLAGS, path.join(ROOT, 'scripts/dev-app.mjs'), deps, path.join(OUT, 'main.js')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

let standby = spawnApp();
let app;
let stopping = false;

function startApp() {
  app = standby;
  const key = defaultSync ? schemaKey() : undefined;
  const skipSync = key !== undefined && key === syncedKey;
  if (skipSync) console.log('[dev] no schema file changed: this restart skips synchronize (DB_SCHEMA_MODE=none)');
  app.send({ env: skipSync ? { DB_SCHEMA_MODE: 'none' } : {} });
  syncedKey = key;
  const current = app;
  current.once('exit', (code) => {
    // An app that failed may not have synchronized: the next one does.
    if (code !== 0 && current === app) syncedKey = undefined;
    if (stopping && current === app) shutdown(code ?? 0);
  });
  // The next standby loads once this start has had the CPU to itself for a moment.
  standby = undefined;
  setTimeout(() => (standby ??= stopping ? undefined : spawnApp()), 1500).unref();
}

async function restart() {
  if (app && app.exitCode === null && app.signalCode === null) {
    const exited = new Promise((resolve) => app.once('exit', resolve));
    app.kill('SIGTERM');
    await exited;
  }
  standby ??= spawnApp();
  startApp();
}

const changed = new Set();
let timer;
let queue = Promise.resolve();
fs.watch(SRC, { recursive: true }, (_event, name) => {
  if (!name || !isSource(path.join(SRC, name))) return;
  changed.add(path.join(SRC, name));
  // Editors write a file in more than one step; one restart for the lot.
  clearTimeout(timer);
  timer = setTimeout(() => {
    const files = [...changed];
    changed.clear();
    queue = queue.then(async () => {
      await Promise.all(files.map(transpile)).catch((error) => console.error(`[dev] ${error.message ?? error}`));
      console.log(`[dev] ${files.map((f) => path.relative(ROOT, f)).join(', ')} changed: restarting`);
      await restart();
    });
  }, 20);
});

function shutdown(code) {
  // A standby holds nothing but loaded code.
  standby?.kill('SIGKILL');
  checker.kill('SIGTERM');
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    // The app shuts down in order (the embedded PostgreSQL too); this process follows it.
    if (app && app.exitCode === null && app.signalCode === null) app.kill(signal);
    else shutdown(0);
  });
}
startApp();
