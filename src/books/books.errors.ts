import { ProblemException } from '../common/problem-details';

export function notFound(id: string): ProblemException {
  return new ProblemException(404, 'not-found', `No book has id ${id}`);
}

export function preconditionFailed(id: string): ProblemException {
  return new ProblemException(
    412,
    'precondition-failed',
    `Book ${id} has changed since that ETag was issued; GET it again and retry with the new ETag`,
  );
}

export function preconditionRequired(): ProblemException {
  return new ProblemException(428, 'precondition-required', 'Send If-Match with the ETag of the book you are changing');
}

export function isbnTaken(isbn: string | undefined, field: string): ProblemException {
  return conflict(`A book with ISBN ${isbn ?? 'given'} already exists (${field})`, field);
}

export function conflict(detail: string, field: string): ProblemException {
  return new ProblemException(409, 'conflict', detail, [{ field, message: detail }]);
}
