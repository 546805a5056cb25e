import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../common/problem-details';
import { PROBLEM_TYPES } from '../common/problem-types';

/**
 * Bodies must be JSON. Nest also registers a form-urlencoded parser, which would let
 * `title=x` through as a valid PATCH; any body that is not application/json is a 415.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.body === undefined || request.body === null) return true;
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType === 'application/json') return true;
    throw new ProblemException(PROBLEM_TYPES.unsupportedMediaType, 'Send the body as application/json');
  }
}
