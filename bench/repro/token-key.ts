/**
 * The verified-token cache's look-up alone, per request, for an 800-character bearer token in a
 * fresh header string each time (as from the HTTP parser), with 3,000 other tokens in the cache:
 * the ways of finding the token that docs/decisions/0024-token-cache-key.md compares.
 *
 *   node --no-warnings bench/repro/token-key.ts   # REQUESTS=N for a quick try
 *
 * Node 24 runs this TypeScript file as it is. Each way runs in turn, 5 rounds of 200,000 look-ups
 * after one to warm the JIT up; it prints each way's median µs per look-up and its ratio to the
 * tail key's. The header is made from a Buffer, so no way gets a string whose hash V8 already knows.
 */
import { createHash, randomBytes } from 'node:crypto';

const REQUESTS = Number(process.env.REQUESTS ?? 200_000);
// The guard's regular expression and the cache's key length (src/auth/auth.guard.ts, token-cache.ts).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const PREFIX = 'Bearer ';
const KEY_LENGTH = 32;

const jwt = () =>
  [randomBytes(60), randomBytes(360), randomBytes(180)].map((part) => part.toString('base64url')).join('.');
const token = jwt();
const raw = Buffer.from(`${PREFIX}${token}`, 'latin1');
const others = Array.from({ length: 3000 }, jwt);
const entry = { token, principal: 'caller' };
const sha = (text: string) => createHash('sha256').update(text).digest('base64url');
const byDigest = new Map([...others.map((t) => [sha(t), { token: t, principal: '' }] as const), [sha(token), entry]]);
const byToken = new Map([...others.map((t) => [t, { token: t, principal: '' }] as const), [token, entry]]);
const byTail = new Map([
  ...others.map((t) => [t.slice(-KEY_LENGTH), { token: t, principal: '' }] as const),
  [token.slice(-KEY_LENGTH), entry],
]);

const ways: Record<string, (header: string) => unknown> = {
  'header string alone': (header) => header,
  'BEARER match, SHA-256, Map.get': (header) => byDigest.get(sha(BEARER.exec(header)![1])),
  'BEARER match, whole token as key': (header) => byToken.get(BEARER.exec(header)![1]),
  'prefix slice, whole token as key': (header) => byToken.get(header.slice(PREFIX.length)),
  'prefix slice, tail as key, === on a hit': (header) => {
    const presented = header.slice(PREFIX.length);
    const found = byTail.get(presented.slice(-KEY_LENGTH));
    return found?.token === presented ? found : undefined;
  },
};

function time(way: (header: string) => unknown): number {
  let hits = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) if (way(raw.toString('latin1')) !== undefined) hits++;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e3 / REQUESTS;
  if (hits !== REQUESTS) throw new Error('a look-up missed');
  return elapsed;
}

const times: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
for (let round = 0; round < 6; round++) {
  for (const [name, way] of Object.entries(ways)) {
    const us = time(way);
    // The first round warms the JIT up.
    if (round > 0) times[name].push(us);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const tail = median(times['prefix slice, tail as key, === on a hit']);
for (const [name, values] of Object.entries(times)) {
  console.log(`${median(values).toFixed(2)} µs\t${(median(values) / tail).toFixed(2)}x\t${name}`);
}
