import { DatabaseUnavailableError } from './database-unavailable.exception';

/** SQLSTATE codes this service reacts to. */
export const SqlState = {
  uniqueViolation: '23505',
  duplicateDatabase: '42P04',
  insufficientPrivilege: '42501',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  invalidCatalogName: '3D000',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  cannotConnectNow: '57P03',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  tooManyConnections: '53300',
  queryCanceled: '57014',
  idleInTransactionTimeout: '25P03',
  undefinedTable: '42P01',
  featureNotSupported: '0A000',
} as const;

/** Five characters; no SQLSTATE class starts with E, while errno names (EPIPE) do. */
const SQLSTATE = /^[0-9A-DF-Z][0-9A-Z]{4}$/;

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const CONNECTION_LOST_SQLSTATES = new Set<string>([
  SqlState.cannotConnectNow,
  SqlState.adminShutdown,
  SqlState.crashShutdown,
  SqlState.tooManyConnections,
]);

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  cause?: unknown;
  driverError?: unknown;
}

/** The SQLSTATE or errno code of an error, looking through TypeORM's and AggregateError's wrappers. */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const e = current as ErrorLike & { errors?: unknown[] };
    if (typeof e.code === 'string' && e.code) return e.code;
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      current = e.errors[0];
      continue;
    }
    current = e.driverError ?? e.cause;
  }
  return undefined;
}

export function constraintOf(error: unknown): string | undefined {
  const e = error as ErrorLike | undefined;
  const driver: ErrorLike | undefined = (e?.driverError as ErrorLike | undefined) ?? e;
  return typeof driver?.constraint === 'string' ? driver.constraint : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True for failures that may heal by themselves: the server is starting, restarting,
 * full, or the network dropped. Authentication and configuration errors are not.
 */
export function isTransientConnectionError(error: unknown): boolean {
  if (hasCause(error, (e) => e instanceof DatabaseUnavailableError)) return true;
  const code = errorCode(error);
  if (code && (TRANSIENT_NETWORK_CODES.has(code) || CONNECTION_LOST_SQLSTATES.has(code))) return true;
  // Any other SQLSTATE is the server answering (57014 "statement timeout" included): the connection is fine.
  if (code && SQLSTATE.test(code)) return false;
  const message = messageOf(error);
  return /timeout|terminated unexpectedly|Connection terminated|not queryable|the database system is (starting up|shutting down|in recovery mode)/i.test(
    message,
  );
}

/**
 * True when a prepared statement can no longer run on its connection: a migration changed the type
 * of a column it returns (even widening a varchar). PostgreSQL keeps refusing it on that connection;
 * the same text unnamed, or on a new connection, runs.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  return (
    errorCode(error) === SqlState.featureNotSupported &&
    messageOf(error).includes('cached plan must not change result type')
  );
}

/** True when `error` or anything it wraps (TypeORM's driverError, `cause`) satisfies `test`. */
function hasCause(error: unknown, test: (e: unknown) => boolean): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (test(current)) return true;
    const e = current as ErrorLike;
    current = e.driverError ?? e.cause;
  }
  return false;
}

/** The error's message, prefixed with its SQLSTATE or errno code when the message lacks it. */
export function describePostgresError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const text = message || (error instanceof AggregateError ? error.errors.map(String).join('; ') : 'unknown error');
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}

/**
 * SQLSTATE class 22, "data exception": PostgreSQL refused a value as invalid for its type
 * (out of range, no such date, bad text representation). Through a bound parameter that
 * value came from the request, so it is the client's error, not the server's.
 */
export function isDataException(error: unknown): boolean {
  const code = errorCode(error);
  return !!code && SQLSTATE.test(code) && code.startsWith('22');
}
