import { RE2JS } from 're2js';

/**
 * Operator regexes (log-scan rules, trigger message filters) run on re2js, a
 * pure-JS RE2: matching is linear in the input, so no pattern can stall the
 * server with catastrophic backtracking. The price is RE2 syntax: no
 * backreferences and no lookaround, refused at compile with a clear message.
 */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * The largest compiled program (re2js `programSize()`, its instruction count) an
 * operator regex may have. Matching is linear in the input, but the NFA pass
 * that extracts captures (and the DFA's fallback) costs up to program size x
 * line length: `(.*){999}!` compiles to ~4,000 instructions and takes seconds
 * over one long line. Counted repetitions are where programs grow (`x{n}` is n
 * copies of x); 1,000 instructions still takes any realistic pattern of up to
 * MAX_PATTERN_LENGTH characters (a 130-word alternation is ~980) and bounds
 * one capture pass over a 16 KiB agent line (the protocol's limit) to a few
 * hundred milliseconds in the worst case.
 */
export const MAX_PROGRAM_SIZE = 1000;

export interface CompiledPattern {
  re: RE2JS;
  /** groupNames[i] is the capture key of group i+1: its name, or `$<i+1>` when unnamed */
  groupNames: string[];
}

export type CompileResult = { ok: true; pattern: CompiledPattern } | { ok: false; error: string };

/** Named reasons for the syntax RE2 refuses, so the operator learns what to change, not just where. */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'lookaround assertions ((?=, (?!, (?<=, (?<!) are not supported; RE2 matches in linear time and has no lookaround'],
  [/\\[1-9]|\\k</, 'backreferences (\\1, \\k<name>) are not supported; RE2 matches in linear time and has no backreferences'],
  [/\(\?>/, 'atomic groups ((?>...)) are not supported by RE2; a plain group is already safe here'],
  [/[*+?}][+]/, 'possessive quantifiers (*+, ++, ?+) are not supported by RE2; the plain quantifier is already safe here'],
];

/** compilePattern compiles an operator regex with RE2 semantics, or explains why it cannot. */
export function compilePattern(source: string): CompileResult {
  if (source.length === 0) return { ok: false, error: 'must not be empty' };
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, error: `must be at most ${MAX_PATTERN_LENGTH} characters` };
  try {
    const re = RE2JS.compile(source);
    const size = re.programSize();
    if (size > MAX_PROGRAM_SIZE) {
      return {
        ok: false,
        error: `is too expensive to match: it compiles to ${size} instructions, at most ${MAX_PROGRAM_SIZE} are allowed; use smaller repetition counts ({n}, {n,m}) or fewer nested repetitions`,
      };
    }
    const groupNames = Array.from({ length: re.groupCount() }, (_, i) => `$${i + 1}`);
    for (const [name, index] of Object.entries(re.namedGroups())) groupNames[index - 1] = name;
    return { ok: true, pattern: { re, groupNames } };
  } catch (err) {
    const compiler = (err as Error).message;
    const reason = UNSUPPORTED.find(([probe]) => probe.test(source))?.[1];
    return { ok: false, error: reason ? `${reason} (${compiler})` : compiler };
  }
}

/** patternError is compilePattern's message, or null when the pattern compiles. */
export function patternError(source: string): string | null {
  const result = compilePattern(source);
  return result.ok ? null : result.error;
}

export interface Capture {
  name: string;
  value: string;
}

/**
 * findCaptures runs the pattern once over `text`: null when it does not match,
 * else every group in order - named groups by name, the others `$1`, `$2`... by
 * their index, so keys never collide (RE2 names are word characters, never `$`).
 * A group that took no part in the match captures "".
 */
export function findCaptures(pattern: CompiledPattern, text: string): Capture[] | null {
  const m = pattern.re.matcher(text);
  if (!m.find()) return null;
  return pattern.groupNames.map((name, i) => ({ name, value: m.group(i + 1) ?? '' }));
}

/** capturesObject turns a capture list into the `{ name: value }` object stored in event metadata. */
export function capturesObject(captures: Capture[]): Record<string, string> {
  return Object.fromEntries(captures.map((c) => [c.name, c.value]));
}
