/** The database is unreachable while serving; answered 503 with Retry-After. */
export class DatabaseUnavailableError extends Error {
  constructor(message = 'The database is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * The connection died after COMMIT was sent and before its answer came: the change may or
 * may not have been saved. Still a 503, but the client must check before repeating it.
 */
export class WriteOutcomeUnknownError extends DatabaseUnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('The connection to the database was lost during COMMIT', options);
    this.name = 'WriteOutcomeUnknownError';
  }
}
