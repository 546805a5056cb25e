import * as fs from 'node:fs';
import { assertInternals, DependencyInternalsError, installedVersion, missingInternals } from './check';

const versionOnDisk = (pkg: string) =>
  (JSON.parse(fs.readFileSync(`node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;

describe('installedVersion', () => {
  it("reads the version from the package's own package.json, also behind an exports map", () => {
    expect(installedVersion('typeorm')).toBe(versionOnDisk('typeorm'));
    expect(installedVersion('@nestjs/throttler')).toBe(versionOnDisk('@nestjs/throttler'));
  });

  it('says so for a package that is not installed', () => {
    expect(installedVersion('no-such-package-here')).toBe('of unknown version');
  });
});

describe('assertInternals', () => {
  it('lists every failing check, a throwing one included, and passes when none fails', () => {
    const checks = {
      present: () => true,
      absent: () => false,
      throws: () => {
        throw new TypeError('x is undefined');
      },
    };
    expect(missingInternals(checks)).toEqual(['absent', 'throws']);
    expect(() => assertInternals('dep', '1.2.3', 'dep.ts', { present: () => true })).not.toThrow();
  });

  it('names the package, its version, the file and what is missing', () => {
    let thrown: unknown;
    try {
      assertInternals('dep', '1.2.3', 'dep.ts', { 'Thing#inner': () => false, other: () => true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DependencyInternalsError);
    expect((thrown as Error).message).toMatch(
      /^dep 1\.2\.3 lacks what src\/lib\/internals\/dep\.ts relies on \(Thing#inner\)/,
    );
  });

  it('reads the version only when something is missing', () => {
    const version = jest.fn(() => '1.2.3');
    assertInternals('dep', version, 'dep.ts', { present: () => true });
    expect(version).not.toHaveBeenCalled();
    expect(() => assertInternals('dep', version, 'dep.ts', { absent: () => false })).toThrow(/^dep 1\.2\.3 lacks/);
  });
});
