import { Controller, Get, RequestMethod } from '@nestjs/common';
import * as nestConstants from '@nestjs/common/constants';
import { assertInternals, installedVersion } from './check';

/**
 * The metadata keys Nest's route decorators write under. Nest marks `@nestjs/common/constants`
 * internal (its `internal` entry re-exports it for sibling packages), and no public API maps a
 * handler to its path and method before the routes are registered.
 */
type RouteMetadataKeys = Partial<Record<'PATH_METADATA' | 'METHOD_METADATA', unknown>>;

/** The path `@Controller()` gave a class ('' for none). */
export function controllerPath(controller: object, keys: RouteMetadataKeys = nestConstants): string {
  return String(Reflect.getMetadata(keys.PATH_METADATA, controller) ?? '');
}

/** The path and method `@Get()`, `@Post()`… gave a handler; undefined for a method that is no route. */
export function handlerRoute(
  handler: object,
  keys: RouteMetadataKeys = nestConstants,
): { path: string; method: string } | undefined {
  const path = Reflect.getMetadata(keys.PATH_METADATA, handler) as string | undefined;
  if (path === undefined) return undefined;
  return { path, method: RequestMethod[Reflect.getMetadata(keys.METHOD_METADATA, handler) as number] };
}

/** Never mounted: its decorators show where Nest keeps a route's path and method. */
@Controller('probe')
class Probe {
  @Get('item')
  read(this: void): void {}

  helper(this: void): void {}
}

export function checkNestCommonInternals(keys: RouteMetadataKeys = nestConstants): void {
  assertInternals('@nestjs/common', () => installedVersion('@nestjs/common'), 'nestjs-common.ts', {
    'PATH_METADATA and METHOD_METADATA in @nestjs/common/constants': () =>
      typeof keys.PATH_METADATA === 'string' && typeof keys.METHOD_METADATA === 'string',
    "@Controller()'s path under PATH_METADATA": () => controllerPath(Probe, keys) === 'probe',
    "@Get()'s path and method under PATH_METADATA and METHOD_METADATA": () => {
      const route = handlerRoute(Probe.prototype.read, keys);
      return route?.path === 'item' && route.method === 'GET' && !handlerRoute(Probe.prototype.helper, keys);
    },
  });
}
