import { ProblemException } from '../common/problem-details';
import { PROBLEM_TYPES } from '../common/problem-types';

export function notFound(id: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.notFound, `No book has id ${id}`);
}

export function preconditionFailed(id: string): ProblemException {
  return new ProblemException(
    PROBLEM_TYPES.preconditionFailed,
    `Book ${id} has changed since that ETag was issued; GET it again and retry with the new ETag`,
  );
}

export function preconditionRequired(): ProblemException {
  return new ProblemException(
    PROBLEM_TYPES.preconditionRequired,
    'Send If-Match with the ETag of the book you are changing',
  );
}

export function isbnTaken(isbn: string | undefined, field: string): ProblemException {
  return conflict(`A book with ISBN ${isbn ?? 'given'} already exists (${field})`, field);
}

export function conflict(detail: string, field: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.conflict, detail, [{ field, message: detail }]);
}
