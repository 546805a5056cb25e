'use strict';
/**
 * dist/main.js, bundled there by scripts/bundle.mjs: loads the bundle (dist/app.js) with a V8 code
 * cache that is taken once the service is listening, so it holds every function a start ran.
 * Node's own compile cache is taken at compile time and holds only the top level: each module's
 * body was still compiled at every start. See docs/decisions/0025-code-cache.md.
 *
 * The cache lives in a folder of this user's beside Node's compile cache (NODE_COMPILE_CACHE,
 * default the OS temp folder), one file per bundle content; a cache V8 rejects (another Node
 * version or flags) is rewritten.
 * `node dist/main.js --prime-code-cache` (the Dockerfile's build stage) runs the bundle's module bodies
 * without starting the service and writes their cache beside the bundle, so a new container does not
 * start cold; a start uses it only while this user has no cache of a full start.
 * NODE_DEBUG=bookapi logs which cache a start used and whether V8 accepted it.
 * Node maps stack traces only for files its own loader compiled, so frames in the bundle are
 * mapped here, through dist/app.js.map (which keeps src/ only).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, enableCompileCache } = require('node:module');
const { debuglog } = require('node:util');
const { crc32 } = require('node:zlib');
const { decodeVlq } = require('./lib/vlq.cjs');

const file = path.join(__dirname, 'app.js');
const source = fs.readFileSync(file, 'utf8');
const debug = debuglog('bookapi');
// src/main.ts reads the same flag and does not bootstrap: nothing listens, no database is touched.
const priming = process.argv.includes('--prime-code-cache');
// V8 checks a cache's version and flags but of the source only its length: the names carry the content.
const sourceHash = crc32(source).toString(16);
// As trusted as dist/app.js itself: whoever can write dist/ can write the code.
const shippedFile = path.join(__dirname, `app.js.${sourceHash}.v8`);
const compileCacheDir = process.env.NODE_COMPILE_CACHE || path.join(os.tmpdir(), 'node-compile-cache');
// What stays outside the bundle (pg, and OpenTelemetry's SDK with tracing on) uses Node's own cache.
if (!priming) enableCompileCache(compileCacheDir);
// V8 runs a code cache's bytecode as is: only a folder no one else can write to is used.
const cacheDir = priming ? undefined : ownFolder(path.join(compileCacheDir, `bookapi-${process.getuid?.() ?? 'user'}`));
const cachePrefix = `bookapi-${crc32(file).toString(16)}-`;
const cacheFile = cacheDir && path.join(cacheDir, `${cachePrefix}${sourceHash}.v8`);
// A full start's cache holds every function a start ran; the shipped one only the module bodies.
let cachedData = cacheFile && readOwnFile(cacheFile);
let cacheUsed = cachedData && cacheFile;
if (!cachedData && !priming) {
  cachedData = readShipped();
  cacheUsed = cachedData && shippedFile;
}

function readShipped() {
  try {
    return fs.readFileSync(shippedFile);
  } catch {
    return undefined;
  }
}

/** `dir`, made if missing, when it is a folder of this user that no one else may write to. */
function ownFolder(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    return stat.isDirectory() && isOwn(stat) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function readOwnFile(name) {
  let fd;
  try {
    fd = fs.openSync(name, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const stat = fs.fstatSync(fd);
    return stat.isFile() && isOwn(stat) ? fs.readFileSync(fd) : undefined;
  } catch {
    // No cache yet: this start compiles as it goes and writes one once listening.
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isOwn(stat) {
  return process.getuid !== undefined && stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}

// The wrapper sits on a line of its own, so the bundle's lines and columns are the file's.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
  filename: file,
  lineOffset: -1,
  cachedData,
  importModuleDynamically: (specifier) => import(specifier),
});
debug(
  'code cache %s: %s',
  cacheUsed ?? 'none',
  !cacheUsed ? 'compiling' : script.cachedDataRejected ? 'rejected' : 'accepted',
);
// A start from the shipped cache still writes this user's, which holds more.
const mustWrite = cacheFile !== undefined && (cacheUsed !== cacheFile || script.cachedDataRejected === true);
cachedData = undefined;

Error.prepareStackTrace = prepareStackTrace;
const app = { exports: {} };
script.runInThisContext()(app.exports, createRequire(file), app, file, __dirname);

// src/main.ts exports its bootstrap: it resolves once the service listens (a failed start exits).
if (mustWrite)
  Promise.resolve(app.exports.started).then(
    () => setImmediate(writeCache),
    () => undefined,
  );
if (priming) {
  fs.writeFileSync(shippedFile, script.createCachedData());
  debug('code cache %s: written', shippedFile);
}

function writeCache() {
  try {
    const data = script.createCachedData();
    const partial = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(partial, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(partial, cacheFile);
    // Earlier builds' caches of this same bundle path are of no further use.
    for (const name of fs.readdirSync(cacheDir)) {
      if (name.startsWith(cachePrefix) && name.endsWith('.v8') && name !== path.basename(cacheFile)) {
        fs.rmSync(path.join(cacheDir, name), { force: true });
      }
    }
  } catch {
    // A read-only or full disk costs the next start its speed, never this one its service.
  }
}

let sourceMap;

/** V8's stack format, with each frame in the bundle named by its src/*.ts file, line and column. */
function prepareStackTrace(error, frames) {
  let head;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = '<error>';
  }
  return head + frames.map((frame) => `\n    at ${mapFrame(frame)}`).join('');
}

function mapFrame(frame) {
  const text = frame.toString();
  try {
    if (frame.getFileName() !== file) return text;
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    sourceMap ??= loadSourceMap();
    const original = sourceMap.find(line - 1, column - 1);
    if (!original) return text;
    const at = `${file}:${line}:${column}`;
    const i = text.lastIndexOf(at);
    return i < 0 ? text : `${text.slice(0, i)}${original}${text.slice(i + at.length)}`;
  } catch {
    return text;
  }
}

/**
 * The bundle's source map, decoded a line at a time when a frame asks. A segment of one field
 * ends a mapped stretch (scripts/bundle.mjs writes one after each stretch of src/), which Node's
 * own SourceMap class would read as the previous file going on.
 */
function loadSourceMap() {
  const map = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'));
  const sources = map.sources.map((s) => path.resolve(__dirname, s));
  const lines = map.mappings.split(';');
  const decoded = [];
  // VLQ fields are relative to the previous segment across lines: decode in order, up to the one asked for.
  const state = { source: 0, line: 0, column: 0 };
  const decodeUpTo = (n) => {
    while (decoded.length <= n && decoded.length < lines.length) {
      const segments = [];
      let genColumn = 0;
      for (const text of lines[decoded.length] ? lines[decoded.length].split(',') : []) {
        const [dc, ds, dl, dcol] = decodeVlq(text);
        genColumn += dc;
        if (ds === undefined) {
          segments.push({ genColumn });
          continue;
        }
        state.source += ds;
        state.line += dl;
        state.column += dcol;
        segments.push({ genColumn, source: sources[state.source], line: state.line, column: state.column });
      }
      decoded.push(segments);
    }
  };
  return {
    find(line, column) {
      decodeUpTo(line);
      let hit;
      for (const segment of decoded[line] ?? []) {
        if (segment.genColumn > column) break;
        hit = segment;
      }
      return hit?.source === undefined ? undefined : `${hit.source}:${hit.line + 1}:${hit.column + 1}`;
    },
  };
}
