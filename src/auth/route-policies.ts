import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { controllerPath, handlerRoute } from '../lib/internals/nestjs-common';
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
    const base = controllerPath(controller);
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const declared = handlerRoute(handler);
      if (!declared) continue;
      const { path, method } = declared;
      const policy: RoutePolicy | undefined = reflector.getAllAndOverride(ROUTE_POLICY, [handler, controller]);
      routes.push({ route: `${method} ${[base, path].filter((p) => p && p !== '/').join('/')}`, policy });
    }
  }
  return routes;
}
