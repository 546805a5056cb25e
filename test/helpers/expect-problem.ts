import type { Response } from 'supertest';

export interface ProblemExpectation {
  /** Slug after /problems/, e.g. 'validation-error'. */
  type?: string;
  /** Fields that must appear in `errors` (validation problems). */
  fields?: string[];
  /** Text the detail must contain. */
  detail?: string | RegExp;
}

/** Asserts an RFC 9457 problem+json answer with every member the API promises. */
export function expectProblem(res: Response, status: number, expected: ProblemExpectation = {}): void {
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^\/problems\/[a-z0-9-]+$/),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.stringMatching(/^\//),
    }),
  );
  if (expected.type) expect(body.type).toBe(`/problems/${expected.type}`);
  if (expected.detail) expect(body.detail).toMatch(expected.detail);
  if (expected.fields) {
    const errors = body.errors as { field: unknown; message: unknown }[];
    expect(Array.isArray(errors)).toBe(true);
    for (const error of errors) {
      expect(error).toEqual({ field: expect.any(String), message: expect.any(String) });
    }
    expect(errors.map((error) => error.field)).toEqual(expect.arrayContaining(expected.fields));
  }
}
