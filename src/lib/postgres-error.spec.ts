import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError } from './database-unavailable.exception';
import { errorCode, isTransientConnectionError } from './postgres-error';

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
});
