/* global process */
/**
 * Prints one suite's test count as a plain closing line and keeps it for .ci/run's summary. A run
 * that executes no test fails: a filter or a skip that empties a suite must not pass as green.
 */
import fs from 'node:fs';
import path from 'node:path';

export default class CountReporter {
  error = undefined;

  onRunComplete(_contexts, results) {
    const suite = process.env.BOOKAPI_TEST_SUITE || 'jest';
    const { numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped, numTodoTests: todo } = results;
    const line = `${suite}: ${passed} passed, ${failed} failed` + (skipped + todo > 0 ? `, ${skipped + todo} skipped` : '');
    process.stdout.write(`\n${line}\n`);
    const dir = path.join(process.cwd(), 'test-output', 'counts');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${suite}.txt`), `${line}\n`);
    if (passed + failed === 0) this.error = new Error(`${suite}: no test ran`);
  }

  getLastError() {
    return this.error;
  }
}
