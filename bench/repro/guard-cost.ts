/**
 * CPU per request of access control as Nest runs it (GuardsConsumer.tryActivate around AuthGuard)
 * for a bearer token already in the cache, against no guard at all (AUTH_DISABLED), in one process
 * with no I/O: what the bench cannot resolve on a shared machine (docs/decisions/0024-token-cache-key.md).
 *
 *   npm run build   # in each checkout to compare: this loads tsc's output, build/
 *   for c in <old checkout> <new checkout> <old checkout> <new checkout>; do
 *     node --no-warnings bench/repro/guard-cost.ts $c
 *   done
 *
 * Node 24 runs this TypeScript file as it is (REQUESTS=N for a quick try). A fresh header string
 * per request, as from the HTTP parser, and 3,000 other tokens in the cache. The medians of 3
 * rounds of 200,000 requests, after one to warm the JIT up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { AuthGuard as Guard } from '../../src/auth/auth.guard';
import type { JwtVerifier as Verifier } from '../../src/auth/jwt-verifier';
import type { Principal } from '../../src/auth/principal';

interface Consumer {
  tryActivate(guards: Guard[], args: unknown[], instance: object, handler: () => void, type: string): Promise<boolean>;
}
interface Cache {
  set(key: string, principal: Principal, expiresAt: number): void;
}

const REQUESTS = Number(process.env.REQUESTS ?? 200_000);

async function measure(checkout: string): Promise<string> {
  const load = createRequire(path.join(path.resolve(checkout), 'package.json'));
  load('reflect-metadata');
  const { Reflector } = load('@nestjs/core') as { Reflector: new () => object };
  const { GuardsConsumer } = load('@nestjs/core/guards/guards-consumer.js') as { GuardsConsumer: new () => Consumer };
  const build = (file: string) => path.join(path.resolve(checkout), 'build', 'auth', file);
  const { AuthGuard } = load(build('auth.guard.js')) as { AuthGuard: new (...args: unknown[]) => Guard };
  const { JwtVerifier } = load(build('jwt-verifier.js')) as { JwtVerifier: new (config: object) => Verifier };
  const { ROUTE_POLICY } = load(build('route-policy.js')) as { ROUTE_POLICY: string };

  const header = { alg: 'RS256', typ: 'at+jwt', kid: '0b3c6f52-58a1-4c8e-9d5e-2f7a1c4b8e90' };
  const token = [
    Buffer.from(JSON.stringify(header)).toString('base64url'),
    randomBytes(300).toString('base64url'),
    randomBytes(256).toString('base64url'),
  ].join('.');
  const raw = Buffer.from(`Bearer ${token}`, 'latin1');
  const verifier = new JwtVerifier({ issuer: 'https://issuer.test', audience: 'bookapi', tokenCacheSize: 10_000 });
  const scopes = new Set(['books:read', 'books:write']);
  const caller: Principal = { id: 'token:https://issuer.test bench', name: 'bench', kind: 'token', scopes };
  const cache = (verifier as unknown as { cache: Cache }).cache;
  const expiresAt = Date.now() + 86_400_000;
  // Builds before this record keyed the cache by the token's SHA-256, and say so in cached().
  const byDigest = verifier.cached.toString().includes('cacheKey');
  cache.set(byDigest ? createHash('sha256').update(token).digest('base64url') : token, caller, expiresAt);
  for (let i = 0; i < 3000; i++) cache.set(randomBytes(600).toString('base64url'), caller, expiresAt);

  const guard = new AuthGuard(new Reflector(), { publicReads: true }, verifier, undefined, null);
  // Two route handlers, as Nest passes them: a public read and a write that needs books:write.
  const findOne = (): void => {};
  const create = (): void => {};
  const controller = {};
  Reflect.defineMetadata(ROUTE_POLICY, { kind: 'read' }, findOne);
  Reflect.defineMetadata(ROUTE_POLICY, { kind: 'scope', scope: 'books:write' }, create);
  const consumer = new GuardsConsumer();

  const run = async (guards: Guard[], handler: () => void) => {
    const start = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i++) {
      const request = { headers: { authorization: raw.toString('latin1') }, raw: {}, ip: '127.0.0.1' };
      // With no guard Nest calls nothing (router-execution-context: fnCanActivate is null).
      if (guards.length === 0) continue;
      const allowed = await (async () =>
        consumer.tryActivate(guards, [request, {}, null], controller, handler, 'http'))();
      if (!allowed) throw new Error('refused');
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / REQUESTS;
  };
  const rounds: Record<'none' | 'get' | 'post', number[]> = { none: [], get: [], post: [] };
  for (let round = 0; round < 4; round++) {
    const none = await run([], findOne);
    const get = await run([guard], findOne);
    const post = await run([guard], create);
    // The first round warms the JIT up.
    if (round === 0) continue;
    rounds.none.push(none);
    rounds.get.push(get);
    rounds.post.push(post);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const extra = (kind: 'get' | 'post') => (median(rounds[kind]) - median(rounds.none)).toFixed(2);
  return `${checkout}: guard per request, GET by id +${extra('get')} µs, POST +${extra('post')} µs`;
}

const checkout = process.argv[2];
if (!checkout) throw new Error('usage: node bench/repro/guard-cost.ts <checkout>');
// One checkout per process, so one build's compiled code does not shape the other's.
void measure(checkout).then(console.log);
