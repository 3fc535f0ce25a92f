import { describe, expect, it } from '@jest/globals';
import { flat, intern, jsonPieces, jsonText, printable, printableDeep } from '../../lib/util/text.js';

const HOSTILE = 'db\x1b[2J\x1b]52;c;aGVsbG8=\x07-1\u009b31m\u202eevil\u2066x\u2069\x7f\x00';

describe('printable', () => {
  it('strips C0, DEL, C1 controls and bidi overrides, keeping the visible text', () => {
    expect(printable(HOSTILE)).toBe('db[2J]52;c;aGVsbG8=-131mevilx');
    expect(printable('plain text, ünïcödé, 日本語 ✓')).toBe('plain text, ünïcödé, 日本語 ✓');
  });
  it('turns whitespace controls into spaces, unless the caller keeps them', () => {
    expect(printable('a\nb\tc\r\nd\u2028e')).toBe('a b c  d e');
    expect(printable('a\nb\x1b[K', '\n')).toBe('a\nb[K');
  });
  it('leaves no ESC and no C1 CSI (U+009B, UTF-8 C2 9B) for any code point below U+0100', () => {
    const all = Array.from({ length: 0x100 }, (_, i) => String.fromCharCode(i)).join('');
    const out = Buffer.from(printable(all), 'utf8');
    expect(out.includes(0x1b)).toBe(false);
    expect(out.includes(Buffer.from([0xc2, 0x9b]))).toBe(false);
    expect(printable(all)).toBe(`${' '.repeat(5)}${all.slice(0x20, 0x7f)}${all.slice(0xa0)}`); // \t\n\v\f\r → spaces; ASCII and Latin-1 kept
  });
  it('is idempotent', () => {
    expect(printable(printable(HOSTILE))).toBe(printable(HOSTILE));
  });
  it('printableDeep cleans every string (and key) of a JSON-like value, nothing else', () => {
    expect(printableDeep({ a: ['x\x1by', 1, true, null], 'k\u009b': { b: 'c\u202e' } })).toEqual({
      a: ['xy', 1, true, null],
      k: { b: 'c' },
    });
  });
});

describe('jsonText', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { s: HOSTILE, n: 1 };
    expect(JSON.stringify(value)).toContain('\u009b'); // why jsonText exists
    const text = jsonText(value, 2);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('\\u009b');
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('jsonPieces', () => {
  it('writes the text jsonText writes, in pieces of at most `per` items', () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ i, s: i === 3 ? HOSTILE : `x${i}`, nested: { a: [i, { b: 'c' }], e: [] } }));
    const head = { scanId: 's', findings: [] as unknown[], summary: { n: 7, by: { a: 1 } } };
    for (const per of [1, 3, 7, 500]) {
      const pieces = [...jsonPieces(head, 'findings', items, per)];
      expect(pieces.join('')).toBe(jsonText({ ...head, findings: items }, 2));
      expect(pieces.length).toBe(Math.floor(items.length / per) + 1);
    }
    expect([...jsonPieces(head, 'findings', [])].join('')).toBe(jsonText(head, 2));
    expect([...jsonPieces({ Findings: [] }, 'Findings', items.slice(0, 2))].join('')).toBe(jsonText({ Findings: items.slice(0, 2) }, 2));
  });
});

describe('intern', () => {
  it('hands back an equal text (for a short one, the first copy it was given), never a different one', () => {
    const a = `${'the probe says FAILED'} ${Math.PI}`;
    const b = `${'the probe says FAILED'} ${Math.PI}`;
    expect(intern(a)).toBe(a);
    expect(intern(b)).toBe(a);
    expect(intern('other')).toBe('other');
    const long = 'x'.repeat(300);
    expect(intern(long)).toBe(long);
  });

  it('after more distinct texts than it remembers, still answers each with an equal text, lone surrogates included', () => {
    for (let i = 0; i < 20_000; i++) expect(intern(`text ${i}`)).toBe(`text ${i}`);
    expect(intern('\ud800 lone surrogate')).toBe('\ud800 lone surrogate');
  });
});

describe('flat', () => {
  it('never changes the text: built, non-ASCII, and not normalized (decomposed é, Hangul jamo) alike', () => {
    const built = `${'a'.repeat(20)} ${Math.PI} ${'é'.repeat(3)}`;
    for (const text of [built, '', 'plain', 'e\u0301te\u0301', '\u1100\u1161', 'Å vs \u212b', '\ud800 lone surrogate'])
      expect(flat(text)).toBe(text);
  });
});
