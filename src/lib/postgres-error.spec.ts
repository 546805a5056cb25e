import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError } from './database-unavailable.exception';
import { errorCode, isStalePreparedStatement, isTransientConnectionError } from './postgres-error';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('postgres errors', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', '57P03', '53300'])('%s is transient', (code) => {
    expect(isTransientConnectionError(withCode(code))).toBe(true);
  });

  it('timeouts are transient', () => {
    expect(isTransientConnectionError(new Error('timeout expired'))).toBe(true);
    expect(isTransientConnectionError(new Error('Connection terminated due to connection timeout'))).toBe(true);
  });

  it.each(['28P01', '28000', '3D000', '42501', '42P01'])('%s is not transient', (code) => {
    expect(isTransientConnectionError(withCode(code, 'nope'))).toBe(false);
  });

  it('a statement timeout (57014) is the server answering, not a lost connection', () => {
    expect(isTransientConnectionError(withCode('57014', 'canceling statement due to statement timeout'))).toBe(false);
  });

  it('DatabaseUnavailableError is transient, also inside a TypeORM wrapper', () => {
    const unavailable = new DatabaseUnavailableError('PostgreSQL did not answer a liveness probe');
    expect(isTransientConnectionError(unavailable)).toBe(true);
    expect(isTransientConnectionError(new QueryFailedError('SELECT 1', [], unavailable))).toBe(true);
  });

  it('looks through TypeORM and AggregateError wrappers', () => {
    const driverError = withCode('23505');
    expect(errorCode(new QueryFailedError('INSERT', [], driverError))).toBe('23505');
    expect(errorCode(new AggregateError([withCode('ECONNREFUSED')], ''))).toBe('ECONNREFUSED');
  });

  it('a prepared statement whose result type changed is stale, also inside a TypeORM wrapper; 0A000 alone is not', () => {
    const stale = withCode('0A000', 'cached plan must not change result type');
    expect(isStalePreparedStatement(stale)).toBe(true);
    expect(isStalePreparedStatement(new QueryFailedError('SELECT 1', [], stale))).toBe(true);
    expect(isStalePreparedStatement(withCode('0A000', 'cannot use a cursor in pipeline mode'))).toBe(false);
    expect(isTransientConnectionError(stale)).toBe(false);
  });
});
