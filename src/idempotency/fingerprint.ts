import { hash } from 'node:crypto';

/**
 * What makes two requests under one key "the same request": the method, the path and the JSON
 * body with every object's keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` match. Headers
 * (If-Match included) are not part of it: a retry replays whatever they say.
 */
export function requestFingerprint(method: string, path: string, body: unknown): Buffer {
  // One-shot hash(): no Hash object per request.
  return hash('sha256', `${method} ${path}\n${body === undefined ? '' : canonicalJson(body)}`, 'buffer');
}

/** JSON with object keys in code-unit order at every depth; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
