import { HttpException, PayloadTooLargeException, ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError } from '../lib/database-unavailable.exception';
import { ProblemException } from './problem-details';
import {
  fastifyBodyErrorDetail,
  fromDatabaseError,
  fromFastifyError,
  fromHttpException,
  httpExceptionDetail,
  INTERNAL_DETAIL,
  problemBody,
  problemOf,
} from './problem-mapping';
import { PROBLEM_TYPES, problemTypeOf } from './problem-types';

const pgError = (code: string) =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error(`failed with ${code}`), { code }));

describe('problem mapping', () => {
  it('maps SQLSTATEs and lost connections, and leaves other errors alone', () => {
    expect(fromDatabaseError(pgError('23505'))).toEqual({
      type: PROBLEM_TYPES.conflict,
      detail: 'A unique value is already taken',
    });
    for (const code of ['40001', '40P01', '57014']) {
      expect(fromDatabaseError(pgError(code))).toMatchObject({
        type: PROBLEM_TYPES.serviceUnavailable,
        headers: { 'Retry-After': '2' },
      });
    }
    expect(fromDatabaseError(new DatabaseUnavailableError())?.detail).toBe(
      'The database is unavailable; retry shortly',
    );
    expect(fromDatabaseError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))?.type.status).toBe(503);
    // Class 22 (invalid input for its type) came from a bound parameter: the client's error.
    expect(fromDatabaseError(pgError('22001'))?.type.status).toBe(400);
    expect(fromDatabaseError(pgError('42P01'))).toBeUndefined();
    expect(fromDatabaseError(new Error('boom'))).toBeUndefined();
  });

  it('words Fastify body errors and keeps 5xx details out of responses', () => {
    expect(fromHttpException(new PayloadTooLargeException(), 1024)).toEqual({
      type: PROBLEM_TYPES.payloadTooLarge,
      detail: 'The request body is larger than the limit of 1024 bytes',
      headers: undefined,
    });
    expect(fromHttpException(new HttpException('secret internals', 502)).detail).toBe(INTERNAL_DETAIL);
    expect(fromHttpException(new ServiceUnavailableException('later')).headers).toEqual({ 'Retry-After': '2' });
    expect(fastifyBodyErrorDetail(400, 'Body cannot be empty when content-type is set', undefined)).toBe(
      'The request declared JSON but sent an empty body',
    );
    expect(fastifyBodyErrorDetail(400, 'something else', undefined)).toBeUndefined();
    expect(fromFastifyError({ statusCode: 415, message: 'x' })).toEqual({
      type: PROBLEM_TYPES.unsupportedMediaType,
      detail: 'Send the body as application/json',
    });
    expect(fromFastifyError({ statusCode: 502, message: 'x' })).toBeUndefined();
  });

  it("turns terminus' failed checks into one sentence naming each", () => {
    const response = {
      status: 'error',
      error: { lifecycle: { status: 'down', state: 'shutting down' }, database: { status: 'down' } },
    };
    expect(httpExceptionDetail(response, 'fallback')).toBe('Not ready: lifecycle: shutting down, database: down');
    expect(httpExceptionDetail({ message: ['a', 'b'] }, 'fallback')).toBe('a; b');
  });

  it('takes slug, title and status from the catalogue, and builds the RFC 9457 body', () => {
    const problem = problemOf(new ProblemException(PROBLEM_TYPES.notFound, 'No book has id 1'));
    expect(problemBody(problem, '/books/1', 'req-1')).toEqual({
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No book has id 1',
      instance: '/books/1',
      requestId: 'req-1',
    });
    expect(problemOf(new Error('anything'))).toEqual({ type: PROBLEM_TYPES.internalError, detail: INTERNAL_DETAIL });
    expect(problemTypeOf(400)).toBe(PROBLEM_TYPES.badRequest);
    expect(problemTypeOf(418)).toEqual({ slug: 'http-418', title: 'I Am A Teapot', status: 418 });
  });
});
