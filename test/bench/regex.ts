/**
 * bench:regex - what operator regexes cost on re2js (linear time, no backtracking).
 * The classic catastrophic patterns against the inputs that stall a backtracking
 * engine, at the sizes the product allows: the log-scan tester's 8 KiB sample,
 * an agent log line's 16 KiB, and 50,000 characters (seed 003 claims such a match
 * finishes in under 50 ms). Prints one JSON line per case: the median of RUNS
 * runs of compile + test + capture extraction, in milliseconds.
 */
import { performance } from 'node:perf_hooks';
import { compilePattern, findCaptures } from '../../server/logscan/regex.ts';

const RUNS = Number(process.env.RUNS ?? 15);
const cases: Array<[string, string]> = [
  ['(a+)+$', 'a'.repeat(8 * 1024 - 1) + '!'],
  ['(a+)+$', 'a'.repeat(16 * 1024 - 1) + '!'],
  ['(a+)+$', 'a'.repeat(50_000) + '!'],
  ['(a|aa)+$', 'a'.repeat(16 * 1024 - 1) + '!'],
  ['(?P<word>\\w+\\s?)*$', 'word '.repeat(3_276) + '!'],
  ['(.*a){20}', 'a'.repeat(16 * 1024)],
];

for (const [pattern, input] of cases) {
  const times: number[] = [];
  let matched = false;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const compiled = compilePattern(pattern);
    if (!compiled.ok) throw new Error(`${pattern}: ${compiled.error}`);
    matched = compiled.pattern.re.test(input);
    findCaptures(compiled.pattern, input);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ pattern, inputChars: input.length, matched, medianMs: Number(times[Math.floor(RUNS / 2)]!.toFixed(2)), maxMs: Number(times[RUNS - 1]!.toFixed(2)) }));
}
