import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ROUTE_POLICY, type RoutePolicy } from './route-policy';

export interface RouteWithPolicy {
  /** e.g. `DELETE books/:id`. */
  route: string;
  policy?: RoutePolicy;
}

/** Every route of every controller with the policy it declares (on the method, else on the class). */
export function routePolicies(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
): RouteWithPolicy[] {
  const routes: RouteWithPolicy[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!controller) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const policy: RoutePolicy | undefined = reflector.getAllAndOverride(ROUTE_POLICY, [handler, controller]);
      routes.push({ route: `${method} ${[base, path].filter((p) => p && p !== '/').join('/')}`, policy });
    }
  }
  return routes;
}
