// @ts-check
// Prints the closing line CI reads ("N passed, N failed") from Jest's JSON results.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.test-results.json';
let r;
try {
  r = JSON.parse(readFileSync(file, 'utf8'));
} catch (caught) {
  const err = /** @type {NodeJS.ErrnoException} */ (caught);
  console.log(`tests: no results in ${file} (${err.code ?? err.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
const skipped = r.numPendingTests + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || r.numPassedTests === 0 ? 1 : 0);
