/** Re-renders RESULTS.md from a results.json (after a change to the report's layout): ts-node bench/render.ts [bench/results.json] */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchReport, renderMarkdown } from './lib/report';

const file = path.resolve(process.argv[2] ?? path.join(__dirname, 'results.json'));
const report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
fs.writeFileSync(path.join(path.dirname(file), 'RESULTS.md'), renderMarkdown(report));
console.log(`wrote ${path.join(path.dirname(file), 'RESULTS.md')}`);
