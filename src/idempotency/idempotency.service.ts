import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EntityManager } from 'typeorm';
import { callerScope, principalOf } from '../auth/principal';
import { ProblemException } from '../common/problem-details';
import { idempotencyConfig } from '../config/idempotency.config';
import { TransactionRunner } from '../database/runtime/transaction-runner';
import { errorCode } from '../lib/postgres-error';
import { delay } from '../lib/timers';
import { requestFingerprint } from './fingerprint';
import { parseIdempotencyKey } from './idempotency-key';
import {
  type KeyClaim,
  keyId,
  lookUpKey,
  type RecordedAnswer,
  recordAnswer,
  type Statement,
} from './idempotency-store';
import { keyInFlight, keyRequired, keyReused } from './idempotency.errors';

export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** What a write answers besides its status (the route's): the body and the headers worth replaying. */
export interface WriteAnswer<T> {
  body: T;
  location?: string;
  etag?: string;
}

/** A live key was there when this write tried to record it: roll the write back, then look the key up. */
class KeyTaken extends Error {}

/** The record statement waited IDEMPOTENCY_WAIT_MS for a request that holds the key (lock_timeout). */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Runs a write under the request's Idempotency-Key, when it has one. The happy path adds one
 * statement to the write's transaction: the key is recorded with its answer before COMMIT, so a
 * retry finds either both or neither. The key is looked up only when that record meets a live key
 * (this write rolls back and the recorded answer is replayed) or when the write fails with a 4xx
 * (a retried PATCH's 412, a retried DELETE's 404, a retried POST's 409 on its ISBN: replayed if
 * the first try recorded an answer). A retry of a request still running waits inside PostgreSQL for
 * it to end, then replays, or gets 409 after IDEMPOTENCY_WAIT_MS. A request that fails (validation,
 * a 4xx, a rollback) records nothing, so its retry runs again.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly transactions: TransactionRunner,
    @Inject(idempotencyConfig.KEY) private readonly config: ConfigType<typeof idempotencyConfig>,
  ) {}

  async run<T>(request: FastifyRequest, reply: FastifyReply, write: () => Promise<WriteAnswer<T>>): Promise<T> {
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) {
      if (this.config.keyRequired && request.method === 'POST') throw keyRequired();
      return answer(reply, await write());
    }
    // The principal is set on whichever request object access control was given.
    const scope = principalOf(request) ? callerScope(request) : callerScope(request.raw);
    const route = request.routeOptions.url ?? pathOf(request.url);
    const claim: KeyClaim = {
      id: keyId(scope, request.method, route, key),
      scope,
      method: request.method,
      route,
      key,
      fingerprint: requestFingerprint(request.method, pathOf(request.url), request.body),
      ttlHours: this.config.ttlHours,
    };
    const status = reply.statusCode;
    const giveUpAt = Date.now() + this.config.waitMs;
    for (;;) {
      let recording = false;
      try {
        // Shared: the service's own transaction joins this one, so the key and the write commit together.
        const done = await this.transactions.runShared(async (manager) => {
          const written = await write();
          recording = true;
          const recorded = await recordAnswer(
            this.statements(manager),
            claim,
            {
              status,
              body: written.body === undefined ? null : JSON.stringify(written.body),
              location: written.location ?? null,
              etag: written.etag ?? null,
            },
            giveUpAt - Date.now(),
          );
          if (!recorded) throw new KeyTaken('a live answer is recorded under this Idempotency-Key');
          return written;
        });
        return answer(reply, done);
      } catch (error) {
        if (recording && errorCode(error) === LOCK_NOT_AVAILABLE) throw keyInFlight();
        const taken = error instanceof KeyTaken;
        if (!taken && !(error instanceof ProblemException)) throw error;
        // In a transaction of its own, after the write's rolled back: it sees what committed meanwhile
        // whatever the write's isolation level.
        const found = await this.transactions.run((manager) => lookUpKey(this.statements(manager), claim));
        if (found) {
          if (!found.fingerprint.equals(claim.fingerprint)) throw keyReused();
          return replay(reply, found.answer);
        }
        if (!taken) throw error;
        // The live key was gone by the look-up (it expired meanwhile) or has no answer: try again.
        if (Date.now() >= giveUpAt) throw keyInFlight();
        await delay(10);
      }
    }
  }

  private statements(manager: EntityManager): Statement {
    // Named, so prepared once per connection where that is allowed: parsing and planning the
    // statement on every request was much of its PostgreSQL CPU (record 0021).
    return <R>(sql: string, params: unknown[], name: string) => this.transactions.query<R>(manager, sql, params, name);
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
