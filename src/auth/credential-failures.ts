import { isIPv6 } from 'node:net';
import { ProblemException } from '../common/problem-details';
import { PROBLEM_TYPES } from '../common/problem-types';
import type { RateLimitStorage } from '../common/rate-limit.storage';

/** The counter's name in the rate-limit storage (a Redis key prefix when shared). */
const FAILURES = 'credential-failures';
/** Clients remembered as blocked at once; past it the oldest goes, so a spray of addresses cannot grow memory. */
const MAX_BLOCKED = 10_000;

/**
 * Failed credentials per client address: a request is checked by the guard before the rate limit
 * runs, so without this an invalid key or token costs a guesser nothing. Each 401 for an invalid
 * credential counts against `limit` per `ttlMs` (in Redis across instances when REDIS_URL is set);
 * past it, the address gets 429 for every credential it sends, valid or not, until the window ends.
 * An instance learns of a block made elsewhere at that address's next failure there.
 */
export class CredentialFailures {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly storage: Pick<RateLimitStorage, 'increment'>,
    private readonly limit: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 429 when this address used up its failures; before any credential is checked. */
  refuseIfBlocked(ip: string): void {
    // Nearly always nobody is blocked: skip working out the address's network.
    if (this.blockedUntil.size === 0) return;
    const key = clientNetwork(ip);
    const until = this.blockedUntil.get(key);
    if (until === undefined) return;
    if (until > this.now()) throw tooManyFailures(until - this.now(), this.limit, this.ttlMs);
    this.blockedUntil.delete(key);
  }

  /** Counts one failed credential; 429 instead of 401 once the address is past its budget. */
  async record(ip: string): Promise<void> {
    const key = clientNetwork(ip);
    const record = await this.storage.increment(`${FAILURES}:${key}`, this.ttlMs, this.limit, this.ttlMs, FAILURES);
    if (!record.isBlocked) return;
    const blockedMs = record.timeToBlockExpire * 1000;
    this.blockedUntil.delete(key);
    this.blockedUntil.set(key, this.now() + blockedMs);
    if (this.blockedUntil.size > MAX_BLOCKED) this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    throw tooManyFailures(blockedMs, this.limit, this.ttlMs);
  }
}

function tooManyFailures(retryAfterMs: number, limit: number, ttlMs: number): ProblemException {
  return new ProblemException(
    PROBLEM_TYPES.tooManyRequests,
    `Too many invalid credentials from this address: at most ${limit} per ${ttlMs / 1000} s; retry after Retry-After seconds`,
    undefined,
    { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  );
}

/** An IPv4 address as is; an IPv6 client by its /64, which one subscriber usually holds whole. */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
