/* global process, console */
/**
 * `npm run build`'s second step: bundles tsc's output (build/) into dist/, the production build.
 *
 * The service is one file (dist/app.js) behind a small launcher (dist/main.js). Loading Nest's
 * ES-module packages file by file through require(esm) was most of a start; one CommonJS file
 * is read and compiled once. tsc runs first, so decorator metadata (Nest DI, class-validator,
 * Swagger) is already in the JavaScript esbuild reads. See docs/performance.md, "Startup".
 */
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const IN = path.join(ROOT, 'build');
const OUT = path.join(ROOT, 'dist');

/** Never bundled: absent optional packages, what tracing patches at require time, files read from disk. */
const EXTERNAL = [
  // Optional packages Nest, terminus and mapped-types try to load and do without.
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'class-transformer/storage',
  // OpenTelemetry instruments pg by hooking require(): both stay real modules.
  'pg',
  'pg-native',
  'pg-pool',
  '@opentelemetry/*',
  // Swagger UI's assets are served from this package's folder.
  'swagger-ui-dist',
  'swagger-ui-dist/*',
];

/**
 * Nest's ES-module packages load their optional peers with createRequire(import.meta.url). Left
 * alone, those requires would load a second copy of typeorm, class-validator or class-transformer
 * beside the bundled one; as plain require() calls esbuild bundles them once.
 */
const bundleOwnRequires = {
  name: 'bundle-own-requires',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@nestjs[\\/].*\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const own = /^const require = createRequire\(import\.meta\.url\);$/m;
      return own.test(text) ? { contents: text.replace(own, ''), loader: 'js' } : undefined;
    });
  },
};

/** The launcher: compile cache and source maps must be on before the bundle is read. */
const LAUNCHER = `'use strict';
// Written by scripts/bundle.mjs. V8 keeps the compiled bundle in Node's compile cache
// (NODE_COMPILE_CACHE, default the OS temp folder), and stack traces are mapped to src/*.ts.
const { enableCompileCache, setSourceMapsSupport } = require('node:module');
enableCompileCache();
setSourceMapsSupport(true);
require('./app.js');
`;

const VLQ = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeVlq(segment) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = VLQ.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeVlq(values) {
  let out = '';
  for (const v of values) {
    let rest = v < 0 ? (-v << 1) | 1 : v << 1;
    do {
      let digit = rest & 31;
      rest >>>= 5;
      if (rest) digit |= 32;
      out += VLQ[digit];
    } while (rest);
  }
  return out;
}

/**
 * Keeps the source map's mappings into src/ only. Stack frames in dependencies then show their
 * place in dist/app.js, and the map stays small: Node decodes it in full on the first stack trace.
 */
function keepOwnSources(mapFile) {
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf8'));
  // Dependencies' own maps name their sources relative to themselves: only files in src/ count.
  const ownDir = path.join(ROOT, 'src') + path.sep;
  const keep = map.sources.map((source) => {
    const file = path.resolve(path.dirname(mapFile), source);
    return file.startsWith(ownDir) && fs.existsSync(file);
  });
  const newIndex = [];
  const sources = [];
  map.sources.forEach((source, i) => {
    if (keep[i]) newIndex[i] = sources.push(source) - 1;
  });
  let source = 0;
  let line = 0;
  let column = 0;
  let out = { source: 0, line: 0, column: 0 };
  const lines = map.mappings.split(';').map((text) => {
    let genColumn = 0;
    let outColumn = 0;
    let unmapped = false;
    const segments = [];
    for (const segment of text ? text.split(',') : []) {
      const [dc, ds, dl, dcol] = decodeVlq(segment);
      genColumn += dc;
      if (ds !== undefined) {
        source += ds;
        line += dl;
        column += dcol;
      }
      if (ds === undefined || !keep[source]) {
        // One column-only segment ends a mapped stretch; a line starts unmapped anyway.
        if (unmapped || segments.length === 0) continue;
        segments.push(encodeVlq([genColumn - outColumn]));
        outColumn = genColumn;
        unmapped = true;
        continue;
      }
      const s = newIndex[source];
      segments.push(encodeVlq([genColumn - outColumn, s - out.source, line - out.line, column - out.column]));
      out = { source: s, line, column };
      outColumn = genColumn;
      unmapped = false;
    }
    return segments.join(',');
  });
  const trimmed = { version: 3, sources, names: [], mappings: lines.join(';') };
  fs.writeFileSync(mapFile, JSON.stringify(trimmed));
}

// Nothing of an earlier build (or of tsc, which wrote here before) survives into this one.
fs.rmSync(OUT, { recursive: true, force: true });
/**
 * esbuild leaves non-ASCII characters in regular expression literals (validator's alphabets).
 * One such character makes V8 hold the whole bundle as a two-byte string, twice the memory and
 * a slower read; a \\u escape means the same in a regex, a string or an identifier.
 */
function asciiOnly(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * keepNames wraps every named function, closures made per request included, in __name(), which
 * defines `name` with a fresh descriptor each time. Nearly all already carry that name, so the
 * helper defines it only when it differs.
 */
const NAME_HELPER = 'var __name=(target,value)=>__defProp(target,"name",{value,configurable:true})';
const LAZY_NAME_HELPER =
  'var __name=(target,value)=>target.name===value?target:__defProp(target,"name",{value,configurable:true})';

function postProcess(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(NAME_HELPER)) throw new Error(`${file}: esbuild's __name helper changed; update bundle.mjs`);
  fs.writeFileSync(file, asciiOnly(text.replace(NAME_HELPER, LAZY_NAME_HELPER)));
}

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: {
    app: path.join(IN, 'main.js'),
    'cli/db-prepare': path.join(IN, 'cli/db-prepare.js'),
    'cli/apikey': path.join(IN, 'cli/apikey.js'),
  },
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  external: EXTERNAL,
  plugins: [bundleOwnRequires],
  // The one import.meta left (terminus, mapped-types) resolves relative to the bundle.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Comments and indentation dropped: a smaller file to read and compile.
  minifyWhitespace: true,
  // Scope hoisting renames colliding classes (DataSource2); error names, log contexts and
  // Swagger schema names come from class names, so they keep their own.
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
if (result.errors.length) process.exit(1);
for (const file of ['app.js', 'cli/db-prepare.js', 'cli/apikey.js']) {
  postProcess(path.join(OUT, file));
  keepOwnSources(path.join(OUT, `${file}.map`));
}
fs.writeFileSync(path.join(OUT, 'main.js'), LAUNCHER);
console.log(
  `bundled ${path.relative(ROOT, IN)}/ into ${path.relative(ROOT, OUT)}/app.js, cli/db-prepare.js and cli/apikey.js`,
);
