import { writeFile } from 'node:fs/promises';
import { SOURCES, summarize, summaryJson, SUMMARY_FILE } from './floors.ts';
import { loadSome } from './readme.ts';

/** Writes bench/results/summary.json from the results of the benchmarks behind it (`make bench` runs it after them). */
const summary = summaryJson(summarize(await loadSome(SOURCES)));
await writeFile(SUMMARY_FILE, summary);
console.log(`${SUMMARY_FILE}:\n${summary}`);
