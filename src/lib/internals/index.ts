import { checkClassValidatorInternals } from './class-validator';
import { DependencyInternalsError } from './check';
import { checkNestCommonInternals } from './nestjs-common';
import { checkThrottlerInternals } from './nestjs-throttler';
import { checkPgInternals } from './pg';
import { checkPgPoolInternals } from './pg-pool';
import { checkTypeormInternals } from './typeorm';

export { DependencyInternalsError } from './check';

type Check = () => void | Promise<void>;

/** What the database code relies on (the CLI needs no more). */
export const DATABASE_CHECKS: Check[] = [checkTypeormInternals, checkPgInternals, checkPgPoolInternals];
export const ALL_CHECKS: Check[] = [
  ...DATABASE_CHECKS,
  checkClassValidatorInternals,
  checkNestCommonInternals,
  checkThrottlerInternals,
];

/**
 * Runs the self-checks before anything starts, so an upgrade that removed an internal stops the
 * process with one message per package (name, installed version, what is missing) rather than
 * failing at the first request.
 */
export async function checkDependencyInternals(checks: Check[] = ALL_CHECKS): Promise<void> {
  const problems: string[] = [];
  for (const check of checks) {
    try {
      await check();
    } catch (error) {
      if (!(error instanceof DependencyInternalsError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new DependencyInternalsError(problems.join(' | '));
}
