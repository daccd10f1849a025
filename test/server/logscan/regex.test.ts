import { describe, expect, it } from 'vitest';
import { compilePattern, findCaptures, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE, patternError } from '../../../server/logscan/regex.ts';
import { truncateUtf8 } from '../../../server/logscan/text.ts';

/** Operator regexes: RE2 semantics, clear refusals, stable capture names; messages cut safely. */
describe('compilePattern', () => {
  it('answers (a+)+$ against 50,000 a and a ! at all (a backtracking engine would run for ages; bench:regex times it)', () => {
    const compiled = compilePattern('(a+)+$');
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    const input = 'a'.repeat(50_000) + '!';
    // JavaScript's own RegExp takes exponential time here: reaching the assertions at all is the proof
    expect(compiled.pattern.re.test(input)).toBe(false);
    expect(findCaptures(compiled.pattern, input)).toBeNull();
  });

  it.each([
    ['lookahead', 'foo(?=bar)', /lookaround.*not supported.*\(\?=/],
    ['negative lookahead', 'foo(?!bar)', /lookaround.*not supported/],
    ['lookbehind', '(?<=foo)bar', /lookaround.*not supported/],
    ['negative lookbehind', '(?<!foo)bar', /lookaround.*not supported/],
    ['backreference', '(a)\\1', /backreferences.*not supported.*\\1/],
    ['named backreference', '(?<x>a)\\k<x>', /backreferences.*not supported/],
    ['unbalanced bracket', 'foo[', /missing closing \]/],
    ['empty', '', /must not be empty/],
  ])('refuses %s with a message that names the reason', (_label, pattern, message) => {
    expect(patternError(pattern)).toMatch(message);
  });

  it('refuses patterns whose compiled program is over MAX_PROGRAM_SIZE, however short the source', () => {
    for (const pattern of ['(.*){999}!', '.{1000}', '(?:[a-z]+ ){400}', '(a{10}){100}']) {
      expect(patternError(pattern)).toMatch(/too expensive to match: it compiles to \d+ instructions, at most 1000 are allowed/);
    }
  });

  it('keeps realistic patterns under the program-size cap, up to a 130-word alternation', () => {
    for (const pattern of ['(?P<ip>\\d{1,3}(?:\\.\\d{1,3}){3})', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '(.*){200}!', 'x'.repeat(990)]) {
      expect(patternError(pattern)).toBeNull();
    }
    const words = Array.from({ length: 130 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}x${i}`);
    const alternation = `(?i)(?P<word>${words.join('|')})`;
    expect(alternation.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
    expect(patternError(alternation)).toBeNull();
  });

  it('matches with the largest allowed program over a 16 KiB agent line (the protocol limit)', () => {
    const compiled = compilePattern(`(.*){${Math.floor((MAX_PROGRAM_SIZE - 3) / 4)}}!`);
    if (!compiled.ok) throw new Error(compiled.error);
    expect(compiled.pattern.re.programSize()).toBeLessThanOrEqual(MAX_PROGRAM_SIZE);
    expect(findCaptures(compiled.pattern, 'a'.repeat(16_383) + '!')).not.toBeNull();
  });

  it('keeps the compiler message next to the explanation', () => {
    expect(patternError('x(?=y)')).toContain('invalid or unsupported Perl syntax: `(?=`');
  });

  it('names captures by group name, unnamed ones $1, $2 by their index, without collisions', () => {
    const compiled = compilePattern('(?P<code>\\d+) (\\w+) (?<user>\\w+) (x)?');
    if (!compiled.ok) throw new Error(compiled.error);
    expect(findCaptures(compiled.pattern, 'error 42 open alice done')).toEqual([
      { name: 'code', value: '42' },
      { name: '$2', value: 'open' },
      { name: 'user', value: 'alice' },
      { name: '$4', value: '' },
    ]);
  });

  it('returns null captures when the line does not match and [] for a match without groups', () => {
    const compiled = compilePattern('Fatal');
    if (!compiled.ok) throw new Error(compiled.error);
    expect(findCaptures(compiled.pattern, 'all fine')).toBeNull();
    expect(findCaptures(compiled.pattern, 'Fatal: wrong password')).toEqual([]);
  });
});

describe('truncateUtf8', () => {
  it('leaves a line of at most 500 bytes alone', () => {
    const line = 'é'.repeat(250); // 500 bytes
    expect(truncateUtf8(line)).toBe(line);
  });

  it('cuts a line of multibyte characters on a character boundary, ends with …, stays within 500 bytes and valid UTF-8', () => {
    for (const char of ['é', '€', '😀']) {
      const cut = truncateUtf8(char.repeat(400));
      const bytes = Buffer.from(cut, 'utf8');
      expect(cut.endsWith('…')).toBe(true);
      expect(bytes.length).toBeLessThanOrEqual(500);
      expect(bytes.length).toBeGreaterThan(500 - Buffer.byteLength(char) - 3);
      expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(cut);
      expect(cut.slice(0, -1)).toBe(char.repeat(cut.slice(0, -1).length / char.length));
    }
  });
});
