import { QueryFailedError } from 'typeorm';
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

  it('looks through TypeORM and AggregateError wrappers', () => {
    const driverError = withCode('23505');
    expect(errorCode(new QueryFailedError('INSERT', [], driverError))).toBe('23505');
    expect(errorCode(new AggregateError([withCode('ECONNREFUSED')], ''))).toBe('ECONNREFUSED');
  });
});
