import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The V8 heap flags the service runs with, from `config.nodeFlags` in the project's package.json:
 * the one list that the start scripts (`$npm_package_config_nodeFlags`), the tests' and the bench's
 * spawned services read, and that the Dockerfile's CMD is checked against.
 */
export function nodeFlags(projectRoot: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    config?: { nodeFlags?: string };
  };
  return (pkg.config?.nodeFlags ?? '').split(/\s+/).filter(Boolean);
}
