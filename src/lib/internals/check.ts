import * as fs from 'node:fs';
import * as path from 'node:path';
import { StartupError } from '../startup-error';

/** A dependency no longer has a private internal this service relies on. */
export class DependencyInternalsError extends StartupError {}

/** Each internal a file relies on, by a short name, with a test that it is still there. */
export type InternalChecks = Record<string, () => boolean>;

/**
 * The installed version of `pkg`, read from its own package.json. The file is found by walking up
 * from the package's entry point, since an `exports` map may hide `pkg/package.json`. `from` is a
 * folder to resolve from (a nested dependency is the one its parent loads).
 */
export function installedVersion(pkg: string, from?: string): string {
  return packageJson(pkg, from)?.version ?? 'of unknown version';
}

/** The folder `pkg` is installed in, as seen from `from`. */
export function packageDir(pkg: string, from?: string): string | undefined {
  return packageJson(pkg, from)?.dir;
}

function packageJson(pkg: string, from?: string): { dir: string; version?: string } | undefined {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(pkg, from ? { paths: [from] } : undefined));
  } catch {
    return undefined;
  }
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg) return { dir, version: json.version };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The names of the checks that fail; a check that throws fails. */
export function missingInternals(checks: InternalChecks): string[] {
  return Object.entries(checks)
    .filter(([, holds]) => {
      try {
        return !holds();
      } catch {
        return true;
      }
    })
    .map(([name]) => name);
}

/**
 * Throws a DependencyInternalsError naming the package, its version and what is missing. A
 * function for `version` is called only then: finding a package.json is a walk on disk at every start.
 */
export function assertInternals(
  pkg: string,
  version: string | (() => string),
  file: string,
  checks: InternalChecks,
): void {
  const missing = missingInternals(checks);
  if (missing.length === 0) return;
  throw new DependencyInternalsError(
    `${pkg} ${typeof version === 'function' ? version() : version} lacks what src/lib/internals/${file} relies on (${missing.join('; ')}): ` +
      `install the version pinned in package.json, or adapt that file (src/lib/internals/README.md)`,
  );
}

export const isFunction = (value: unknown): boolean => typeof value === 'function';
