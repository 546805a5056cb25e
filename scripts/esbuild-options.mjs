/* global process */
/**
 * What the production bundle (scripts/bundle.mjs) and the development runner's bundle of
 * dependencies (scripts/dev.mjs) share: the packages left outside, and how Nest's ES modules are
 * made bundleable.
 */
import * as fs from 'node:fs';

/** Never bundled: absent optional packages, what tracing patches at require time, files read from disk. */
export const EXTERNAL = [
  // Optional packages Nest, terminus and mapped-types try to load and do without.
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'class-transformer/storage',
  // OpenTelemetry instruments pg by hooking require(): both stay real modules (TRACING_SDK below).
  'pg',
  'pg-native',
  'pg-pool',
  // Swagger UI's assets are served from this package's folder.
  'swagger-ui-dist',
  'swagger-ui-dist/*',
];

/**
 * OpenTelemetry's SDK and instrumentations (loaded only with tracing on) stay real modules too.
 * Its API is bundled: it keeps the registered tracer and context manager on globalThis, so the
 * bundled copy and the SDK's own share them, and a start without tracing reads no file of it.
 */
const TRACING_SDK = /^@opentelemetry\/(?!api(\/|$))/;

/** Whether a bundle leaves `specifier` to require() at run time. */
export function isExternal(specifier) {
  return (
    TRACING_SDK.test(specifier) ||
    EXTERNAL.some((e) => specifier === e || (e.endsWith('/*') && specifier.startsWith(e.slice(0, -1))))
  );
}

const externalTracingSdk = {
  name: 'external-tracing-sdk',
  setup(b) {
    // esbuild's filters have no lookahead: the API is told apart here.
    b.onResolve({ filter: /^@opentelemetry\// }, (args) =>
      TRACING_SDK.test(args.path) ? { path: args.path, external: true } : undefined,
    );
  },
};

/**
 * Nest's ES-module packages load their optional peers with createRequire(import.meta.url). Left
 * alone, those requires would load a second copy of typeorm, class-validator or class-transformer
 * beside the bundled one; as plain require() calls esbuild bundles them once.
 */
export const bundleOwnRequires = {
  name: 'bundle-own-requires',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@nestjs[\\/].*\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const own = /^const require = createRequire\(import\.meta\.url\);$/m;
      return own.test(text) ? { contents: text.replace(own, ''), loader: 'js' } : undefined;
    });
  },
};

/**
 * Modules a dependency requires at load time for features this service never uses: TypeORM's
 * DriverFactory requires all seventeen drivers (and their query runners) to use one, and
 * class-validator's IsPhoneNumber requires libphonenumber-js's metadata. Each such require becomes
 * a proxy that loads the module on first use, so a start evaluates only what runs.
 */
const LAZY_REQUIRES = [
  { file: /[\\/]typeorm[\\/]driver[\\/]DriverFactory\.js$/, spec: /^\.\/\w/, atLeast: 10 },
  {
    file: /[\\/]class-validator[\\/]cjs[\\/]decorator[\\/]string[\\/]IsPhoneNumber\.js$/,
    spec: /^libphonenumber-js\//,
    atLeast: 1,
  },
];

const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    for (const { file, spec, atLeast } of LAZY_REQUIRES) {
      b.onLoad({ filter: file }, async (args) => {
        let found = 0;
        const text = (await fs.promises.readFile(args.path, 'utf8')).replace(
          /^const (\w+) = require\("([^"]+)"\);$/gm,
          (line, name, specifier) => {
            if (!spec.test(specifier)) return line;
            found++;
            const load = `require(${JSON.stringify(specifier)})`;
            return `let ${name}$m; const ${name} = new Proxy({}, { get: (_, key) => (${name}$m ??= ${load})[key] });`;
          },
        );
        if (found < atLeast)
          throw new Error(`${args.path}: its requires changed; update LAZY_REQUIRES in esbuild-options.mjs`);
        return { contents: text, loader: 'js' };
      });
    }
  },
};

/** esbuild options both bundles use; each adds its entry points, output and source maps. */
export const COMMON_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  external: EXTERNAL,
  plugins: [externalTracingSdk, bundleOwnRequires, lazyRequires],
  // The one import.meta left (terminus, mapped-types) resolves relative to the bundle.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Comments and indentation dropped: a smaller file to read and compile.
  minifyWhitespace: true,
  // Scope hoisting renames colliding classes (DataSource2); error names, log contexts and
  // Swagger schema names come from class names, so they keep their own.
  keepNames: true,
  logLevel: 'warning',
};

/**
 * esbuild leaves non-ASCII characters in regular expression literals (validator's alphabets).
 * One such character makes V8 hold the whole bundle as a two-byte string, twice the memory and
 * a slower read; a \\u escape means the same in a regex, a string or an identifier.
 */
export function asciiOnly(text) {
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

/**
 * Each require() of a bundled ES module from CommonJS (tsc's output requires @nestjs/common in
 * every file) and each import of a CommonJS module from ESM made a fresh copy of the module's
 * exports, one getter per name, at every site: a few hundred names, dozens of sites. One copy per
 * module is kept and reused; copying again adds only names that appeared since (a cycle can hand
 * out a module before all its exports exist), so every site sees what it saw before.
 */
const INTEROP_HELPERS = [
  'var __toESM=(mod,isNodeMode,target)=>(target=mod!=null?__create(__getProtoOf(mod)):{},__copyProps(isNodeMode||!mod||!mod.__esModule?__defProp(target,"default",{value:mod,enumerable:true}):target,mod))',
  'var __toCommonJS=mod=>__copyProps(__defProp({},"__esModule",{value:true}),mod)',
];
const SHARED_VIEWS =
  'var __views=[new WeakMap,new WeakMap,new WeakMap,new WeakMap];' +
  'var __shared=(kind,make)=>(mod,isNodeMode)=>{if(mod===null||typeof mod!=="object"&&typeof mod!=="function")return make(mod,isNodeMode);' +
  'const views=__views[kind+(isNodeMode?1:0)];const view=views.get(mod);' +
  'if(view)return __copyProps(view,mod);const made=make(mod,isNodeMode);views.set(mod,made);return made};';

function shareInteropViews(file, text) {
  let shared = SHARED_VIEWS;
  INTEROP_HELPERS.forEach((helper, i) => {
    const name = helper.slice('var '.length, helper.indexOf('='));
    if (!text.includes(`var ${name}=`)) return;
    if (!text.includes(helper))
      throw new Error(`${file}: esbuild's ${name} helper changed; update esbuild-options.mjs`);
    const copy = helper.replace(`var ${name}=`, `var ${name}Copy=`);
    text = text.replace(helper, `${shared}${copy};var ${name}=__shared(${2 * i},${name}Copy)`);
    shared = '';
  });
  return text;
}

/** The lazy __name helper, shared interop views and ASCII-only text, in a bundle esbuild wrote. */
export function postProcess(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(NAME_HELPER))
    throw new Error(`${file}: esbuild's __name helper changed; update esbuild-options.mjs`);
  fs.writeFileSync(file, asciiOnly(shareInteropViews(file, text.replace(NAME_HELPER, LAZY_NAME_HELPER))));
}

export const exitOnErrors = (result) => {
  if (result.errors.length) process.exit(1);
};
