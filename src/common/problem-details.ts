import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProblemType } from './problem-types';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class FieldErrorDto {
  @ApiProperty({ example: 'title' })
  field!: string;

  @ApiProperty({ example: 'title must be longer than or equal to 1 characters' })
  message!: string;
}

/** RFC 9457 problem details, the body of every error response. */
export class ProblemDetailsDto {
  @ApiProperty({ example: '/problems/validation-error', description: 'URI reference naming the kind of problem' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ type: 'integer', example: 400 })
  status!: number;

  @ApiProperty({ example: 'The request has 1 invalid field' })
  detail!: string;

  @ApiProperty({ example: '/books' })
  instance!: string;

  @ApiPropertyOptional({ example: '6f1c1e0e-0d55-4d8e-9d0a-6d1f8b0c8d7e' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}

export interface FieldError {
  field: string;
  message: string;
}

/** An error that already knows its problem+json answer. */
export class ProblemException extends Error {
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
  }

  get status(): number {
    return this.type.status;
  }

  get slug(): string {
    return this.type.slug;
  }
}
