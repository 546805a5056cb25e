import { ArgumentsHost, BadRequestException, HttpException, ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError } from '../lib/database-unavailable.exception';
import { ProblemException } from './problem-details';
import { ProblemDetailsFilter } from './problem-details.filter';
import { PROBLEM_TYPES } from './problem-types';

interface Sent {
  status?: number;
  headers: Record<string, string>;
  type?: string;
  body?: Record<string, unknown>;
}

/** A Fastify reply that records what the filter sends. */
function run(exception: unknown, bodyLimitBytes = 2048): Sent {
  const sent: Sent = { headers: {} };
  const reply = {
    sent: false,
    status(code: number) {
      sent.status = code;
      return reply;
    },
    headers(values: Record<string, string>) {
      Object.assign(sent.headers, values);
      return reply;
    },
    type(value: string) {
      sent.type = value;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const request = { method: 'GET', url: '/books/1?x=1', id: 'req-1' };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  const filter = new ProblemDetailsFilter({ bodyLimitBytes });
  // The 500 path logs the error; keep the test output quiet.
  jest.spyOn((filter as unknown as { logger: { error: () => void } }).logger, 'error').mockImplementation(() => {});
  jest.spyOn((filter as unknown as { logger: { warn: () => void } }).logger, 'warn').mockImplementation(() => {});
  filter.catch(exception, host);
  return sent;
}

const pgError = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new QueryFailedError('SELECT secret FROM books', ['p4ssw0rd'], Object.assign(new Error(message), { code, ...extra }));

describe('ProblemDetailsFilter', () => {
  it('answers every problem with the RFC 9457 members and the problem+json type', () => {
    const sent = run(new ProblemException(PROBLEM_TYPES.notFound, 'No book has id 1'));
    expect(sent.type).toBe('application/problem+json');
    expect(sent.status).toBe(404);
    expect(sent.body).toEqual({
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No book has id 1',
      instance: '/books/1?x=1',
      requestId: 'req-1',
    });
  });

  it('keeps the field errors of a validation problem', () => {
    const errors = [{ field: 'title', message: 'title must be a string' }];
    const sent = run(new ProblemException(PROBLEM_TYPES.validationError, 'Invalid field title', errors));
    expect(sent.body).toMatchObject({ status: 400, type: '/problems/validation-error', errors });
  });

  it.each([
    ['DatabaseUnavailableError', new DatabaseUnavailableError()],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['the server shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a statement timeout (57014)', pgError('57014', 'canceling statement due to statement timeout')],
    ['a serialization failure left after retries (40001)', pgError('40001', 'could not serialize access')],
  ])('maps %s to 503 with Retry-After', (_label, exception) => {
    const sent = run(exception);
    expect(sent.status).toBe(503);
    expect(sent.headers['Retry-After']).toMatch(/^\d+$/);
    expect(sent.body).toMatchObject({
      status: 503,
      type: '/problems/service-unavailable',
      title: 'Service Unavailable',
    });
    expect(JSON.stringify(sent.body)).not.toMatch(/5432|SELECT|administrator/);
  });

  it('maps a unique violation nobody handled to 409 without naming the constraint or the value', () => {
    const sent = run(pgError('23505', 'duplicate key value violates unique constraint "books_isbn_key"'));
    expect(sent.status).toBe(409);
    expect(JSON.stringify(sent.body)).not.toMatch(/books_isbn_key|duplicate key/);
  });

  it.each([
    ['an Error', new Error('relation "books" does not exist at /srv/app/dist/books.service.js:42')],
    ['a QueryFailedError', pgError('42703', 'column "summary" does not exist')],
    ['a thrown string', 'boom with p4ssw0rd'],
    ['an InternalServerError with a message', new HttpException('password=p4ssw0rd', 500)],
  ])('answers %s with a 500 that says nothing about internals', (_label, exception) => {
    const sent = run(exception);
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({
      type: '/problems/internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged',
      instance: '/books/1?x=1',
      requestId: 'req-1',
    });
    expect(sent.headers['Retry-After']).toBeUndefined();
  });

  it('rewords the body errors Nest hands over from Fastify', () => {
    const tooLarge = run(new HttpException('Request body is too large', 413), 1024);
    expect(tooLarge.body).toMatchObject({
      status: 413,
      title: 'Content Too Large',
      type: '/problems/payload-too-large',
      detail: 'The request body is larger than the limit of 1024 bytes',
    });
    expect(run(new HttpException('Unsupported Media Type', 415)).body).toMatchObject({
      status: 415,
      detail: 'Send the body as application/json',
    });
    const invalid = run(new HttpException("Body is not valid JSON but content-type is set to 'application/json'", 400));
    expect(invalid.body).toMatchObject({
      status: 400,
      type: '/problems/bad-request',
      detail: expect.stringMatching(/not valid JSON/),
    });
    const empty = run(new HttpException("Body cannot be empty when content-type is set to 'application/json'", 400));
    expect(empty.body).toMatchObject({ status: 400, detail: expect.stringMatching(/empty/) });
  });

  it('keeps the message of other HTTP exceptions, and the Retry-After of a 503', () => {
    expect(run(new BadRequestException('bad thing')).body).toMatchObject({ status: 400, detail: 'bad thing' });
    const unavailable = run(new ServiceUnavailableException('draining'));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['Retry-After']).toBeDefined();
  });

  it('maps a raw Fastify-style client error that was not wrapped', () => {
    const sent = run(Object.assign(new Error('Request body is too large'), { statusCode: 413 }), 4096);
    expect(sent.body).toMatchObject({ status: 413, detail: 'The request body is larger than the limit of 4096 bytes' });
  });

  it.each([
    ['22003', 'value "2147483648" is out of range for type integer'],
    ['22008', 'date/time field value out of range: "2024-02-30"'],
    ['22007', 'invalid input syntax for type timestamp with time zone: "0000-01-01"'],
    ['22P02', 'invalid input syntax for type uuid: "x"'],
  ])('answers a data exception (%s) from a bound parameter with 400 and no SQL', (code, message) => {
    const sent = run(pgError(code, message));
    expect(sent.body).toMatchObject({ status: 400, type: '/problems/bad-request' });
    expect(JSON.stringify(sent.body)).not.toMatch(/SELECT|secret|p4ssw0rd|out of range for type|syntax/);
  });
});
