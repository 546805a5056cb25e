import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerScope, principalOf } from '../auth/principal';
import { ProblemException } from '../common/problem-details';
import { databaseConfig } from '../config/database.config';
import { idempotencyConfig } from '../config/idempotency.config';
import { TransactionRunner } from '../database/runtime/transaction-runner';
import { delay } from '../lib/timers';
import { requestFingerprint } from './fingerprint';
import { parseIdempotencyKey } from './idempotency-key';
import { type KeyClaim, lookUpKey, type RecordedAnswer, recordAnswer, type Statement } from './idempotency-store';
import { keyInFlight, keyRequired, keyReused } from './idempotency.errors';

export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** What a write answers besides its status (the route's): the body and the headers worth replaying. */
export interface WriteAnswer<T> {
  body: T;
  location?: string;
  etag?: string;
}

type Outcome<T> =
  | { kind: 'busy' | 'free' }
  | { kind: 'recorded'; fingerprint: Buffer; answer: RecordedAnswer }
  | { kind: 'done'; answer: T };

/** Another request recorded an answer under the key while this one wrote: roll back, replay that. */
class RecordedMeanwhile extends Error {}

/**
 * Runs a write under the request's Idempotency-Key, when it has one: the key is taken in the
 * write's own transaction, and recorded with its answer in it before COMMIT, so a retry finds either
 * both or neither. A retry of a finished request gets its answer again, whatever its If-Match
 * says (the lookup comes before every check of the write); a retry of one still running waits
 * for it, then replays, or gets 409 after IDEMPOTENCY_WAIT_MS. A request that fails (validation,
 * a 4xx, a rollback) records nothing, so its retry runs again.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly transactions: TransactionRunner,
    @Inject(idempotencyConfig.KEY) private readonly config: ConfigType<typeof idempotencyConfig>,
    @Inject(databaseConfig.KEY) database: ConfigType<typeof databaseConfig>,
  ) {
    // Prepared once per connection where it is one server session (not behind PgBouncer in transaction
    // mode): parsing and planning both statements on every request was much of their PostgreSQL CPU.
    this.prepared = database.pooler === 'none';
  }

  private readonly prepared: boolean;

  async run<T>(request: FastifyRequest, reply: FastifyReply, write: () => Promise<WriteAnswer<T>>): Promise<T> {
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) {
      if (this.config.keyRequired && request.method === 'POST') throw keyRequired();
      return answer(reply, await write());
    }
    const claim: KeyClaim = {
      // The principal is set on whichever request object access control was given.
      scope: principalOf(request) ? callerScope(request) : callerScope(request.raw),
      method: request.method,
      route: request.routeOptions.url ?? pathOf(request.url),
      key,
      fingerprint: requestFingerprint(request.method, pathOf(request.url), request.body),
      ttlHours: this.config.ttlHours,
    };
    const giveUpAt = Date.now() + this.config.waitMs;
    for (let pause = 10; ; pause = Math.min(2 * pause, 200)) {
      let outcome: Outcome<WriteAnswer<T>>;
      try {
        outcome = await this.attempt(claim, reply.statusCode, write);
      } catch (error) {
        if (error instanceof RecordedMeanwhile) continue;
        if (!(error instanceof ProblemException)) throw error;
        // The write's own 4xx (404, 409, 412) may come from a first try that committed just before
        // the lookup's lock (see idempotency-store): its answer, if recorded now, is the answer.
        const recheck = await this.attempt<T>(claim, reply.statusCode).catch(() => undefined);
        if (recheck?.kind !== 'recorded') throw error;
        outcome = recheck;
      }
      if (outcome.kind === 'done') return answer(reply, outcome.answer);
      if (outcome.kind === 'recorded') {
        if (!outcome.fingerprint.equals(claim.fingerprint)) throw keyReused();
        return replay(reply, outcome.answer);
      }
      if (Date.now() + pause > giveUpAt) throw keyInFlight();
      await delay(pause);
    }
  }

  /** Without `write`, only looks: the answer recorded under the key, if any. */
  private attempt<T>(
    claim: KeyClaim,
    status: number,
    write?: () => Promise<WriteAnswer<T>>,
  ): Promise<Outcome<WriteAnswer<T>>> {
    // Shared: the service's own transaction joins this one, so the key and the write commit together.
    return this.transactions.runShared(async (manager): Promise<Outcome<WriteAnswer<T>>> => {
      const query: Statement = <R>(sql: string, params: unknown[], name: string) =>
        this.transactions.query<R>(manager, sql, params, this.prepared ? name : undefined);
      const found = await lookUpKey(query, claim);
      if (found.kind !== 'free' || !write) return found;
      const done = await write();
      const recorded = await recordAnswer(query, claim, {
        status,
        body: done.body === undefined ? null : JSON.stringify(done.body),
        location: done.location ?? null,
        etag: done.etag ?? null,
      });
      if (!recorded) throw new RecordedMeanwhile('an answer was recorded under this Idempotency-Key meanwhile');
      return { kind: 'done', answer: done };
    });
  }
}

function answer<T>(reply: FastifyReply, done: WriteAnswer<T>): T {
  if (done.location !== undefined) void reply.header('Location', done.location);
  if (done.etag !== undefined) void reply.header('ETag', done.etag);
  return done.body;
}

/** The recorded answer; the body is parsed back so it goes out as the same JSON text. */
function replay<T>(reply: FastifyReply, recorded: RecordedAnswer): T {
  void reply.status(recorded.status).header(REPLAYED_HEADER, 'true');
  if (recorded.location !== null) void reply.header('Location', recorded.location);
  if (recorded.etag !== null) void reply.header('ETag', recorded.etag);
  return (recorded.body === null ? undefined : JSON.parse(recorded.body)) as T;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
