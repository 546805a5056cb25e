import { DependencyInternalsError } from './check';
import { checkDependencyInternals } from './index';

describe('checkDependencyInternals', () => {
  it('passes for the installed dependencies', async () => {
    await expect(checkDependencyInternals()).resolves.toBeUndefined();
  });

  it('reports every package that fails in one startup error', async () => {
    const failing = (pkg: string) => () => {
      throw new DependencyInternalsError(`${pkg} 9.9.9 lacks what src/lib/internals/${pkg}.ts relies on (x)`);
    };
    const outcome = checkDependencyInternals([failing('a'), () => undefined, failing('b')]);
    await expect(outcome).rejects.toThrow(DependencyInternalsError);
    await expect(outcome).rejects.toThrow(/^a 9\.9\.9 lacks .* \| b 9\.9\.9 lacks /);
  });

  it('lets any other error through as it is', async () => {
    const bug = new TypeError('not an internals problem');
    await expect(
      checkDependencyInternals([
        () => {
          throw bug;
        },
      ]),
    ).rejects.toBe(bug);
  });
});
