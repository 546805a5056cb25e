import { Controller, Delete, Get } from '@nestjs/common';
import { DependencyInternalsError } from './check';
import { checkNestCommonInternals, controllerPath, handlerRoute } from './nestjs-common';

@Controller('shelves')
class Shelves {
  @Delete(':id')
  remove(this: void): void {}

  @Get()
  list(this: void): void {}

  helper(this: void): void {}
}

describe('@nestjs/common internals', () => {
  it('holds for the installed @nestjs/common', () => {
    expect(() => checkNestCommonInternals()).not.toThrow();
  });

  it("reads a controller's path and each handler's path and method", () => {
    expect(controllerPath(Shelves)).toBe('shelves');
    expect(controllerPath(class NoController {})).toBe('');
    expect(handlerRoute(Shelves.prototype.remove)).toEqual({ path: ':id', method: 'DELETE' });
    expect(handlerRoute(Shelves.prototype.list)).toEqual({ path: '/', method: 'GET' });
    expect(handlerRoute(Shelves.prototype.helper)).toBeUndefined();
  });

  it('refuses constants that are gone, naming the package and version', () => {
    expect(() => checkNestCommonInternals({})).toThrow(DependencyInternalsError);
    expect(() => checkNestCommonInternals({})).toThrow(
      /^@nestjs\/common \d+\.\d+\.\d+ lacks .*nestjs-common\.ts relies on \(PATH_METADATA and METHOD_METADATA/,
    );
  });

  it('refuses constants the decorators no longer write under', () => {
    expect(() => checkNestCommonInternals({ PATH_METADATA: 'route:path', METHOD_METADATA: 'route:method' })).toThrow(
      /lacks .*\(@Controller\(\)'s path under PATH_METADATA; @Get\(\)'s path and method/,
    );
  });
});
