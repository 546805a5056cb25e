import * as fs from 'node:fs';
import * as path from 'node:path';
import { installedVersion } from './check';

type Manifest = { dependencies?: Record<string, string> };
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;

/** The packages README.md's tables name in their "pinned exactly" column. */
function packagesListedAsPinned(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, 'README.md'), 'utf8');
  const listed: string[] = [];
  let column = -1;
  for (const line of readme.split('\n')) {
    if (!line.startsWith('|')) {
      column = -1;
      continue;
    }
    const cells = line.split('|').slice(1, -1);
    const header = cells.findIndex((cell) => cell.includes('pinned exactly'));
    if (header >= 0) column = header;
    else if (column >= 0) listed.push(...[...cells[column].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
  }
  return listed;
}

describe('pins of the packages whose internals or code the service relies on', () => {
  const own = readJson('package.json').dependencies ?? {};
  const listed = [...new Set(packagesListedAsPinned())];

  it('finds the packages in the README', () => {
    expect(listed).toEqual(expect.arrayContaining(['typeorm', 'class-validator', '@nestjs/common', '@nestjs/core']));
  });

  it.each(listed)('%s is pinned to the installed version, by package.json or its parent', (pkg) => {
    // A package the service does not depend on directly (@nestjs/mapped-types) is pinned by the one that does.
    const pin =
      own[pkg] ??
      Object.keys(own)
        .map((parent) => readJson(`node_modules/${parent}/package.json`).dependencies?.[pkg])
        .find((range) => range !== undefined);
    expect({ pkg, pin }).toEqual({ pkg, pin: installedVersion(pkg) });
  });
});
