/**
 * Text from outside (probed servers, certificates, EC2 tags, collector output,
 * AWS error messages) made safe to show. Applied at the edges (table, ASFF,
 * SNS, log and stderr lines), never to the evidence itself: the JSON document
 * keeps what was observed, escaped.
 *
 * Our own regex rather than `strip-ansi`: that removes well-formed ANSI
 * sequences only and leaves a lone ESC, BEL, a C1 CSI (U+009B) or a bidi
 * override in place; here every control character goes, whatever follows it.
 */

import { randomUUID } from 'node:crypto';

/**
 * C0 controls (U+0000–U+001F, ESC and BEL included), DEL (U+007F), C1
 * controls (U+0080–U+009F: U+009B is a one-character CSI, U+009D an OSC),
 * the bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069),
 * which make text read differently from what it is, and the Unicode line and
 * paragraph separators (U+2028, U+2029), which break one-line layouts.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** Whitespace controls become a space, so that words stay apart. */
const SPACING = /[\t\n\v\f\r\u2028\u2029]/;

/**
 * The same text, as one flat string where V8 allows it. A string built by concatenation (a template literal)
 * is a tree of pieces, 32 bytes a node, until it is read whole, and a fleet's findings hold many. normalize()
 * hands back the flattened text when it is already NFC (nearly always); otherwise the text is kept as it is.
 */
export function flat(text: string): string {
  const n = text.normalize();
  return n === text ? n : text;
}

/** How many distinct texts `intern` remembers at most before it starts over. */
const INTERN_MAX = 8192;
let interned = new Map<string, string>();

/**
 * One shared copy of a text that recurs: a fleet's findings say the same sentences thousands of times ("…is
 * end-of-life", "the probe says FAILED, the host says PASSED…"), each built anew. Bounded: short texts only, at most
 * INTERN_MAX of them (when full the table starts over, and a text that keeps recurring is shared again at once), each
 * held as a copy of its own (a short text may be a slice that keeps a long one alive, such as a server's answer).
 * A Map rather than a library: this is the whole of it.
 */
export function intern(text: string): string {
  if (text.length > 256) return text;
  const known = interned.get(text);
  if (known !== undefined) return known;
  if (interned.size >= INTERN_MAX) interned = new Map();
  // A JSON round trip is an exact copy (lone surrogates included) in a string of its own.
  const own = JSON.parse(JSON.stringify(text)) as string;
  interned.set(own, own);
  return own;
}

/**
 * `text` without control or bidi-override characters. `keep` lists characters
 * the caller's own layout needs (e.g. `'\n'` for multi-line log messages).
 */
export function printable(text: string, keep = ''): string {
  return text.replace(UNSAFE, (c) => (keep.includes(c) ? c : SPACING.test(c) ? ' ' : ''));
}

/** Every string inside a JSON-like value made printable (keys included); other values unchanged. */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((v) => printableDeep(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), printableDeep(v)])) as T;
  }
  return value;
}

/** The characters JSON.stringify leaves raw although a terminal may act on them (it escapes C0 only). */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON.stringify, with DEL, C1 controls, bidi overrides and line separators
 * written as `\uXXXX` escapes too: the same JSON value, nothing lost, and
 * nothing a terminal acts on. (They can only occur inside string literals.)
 */
export function jsonText(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `jsonText({ ...head, [key]: [...items] }, 2)`, the same text, in pieces of at
 * most `per` items: a fleet's document is tens of megabytes as one string, and
 * as much again escaped and encoded for stdout. `key` is a top-level key of `head`.
 * 50 findings make a piece of about 60 KB: under V8's large-object size
 * (128 KB), so each piece and its encoded copy die young instead of piling up
 * in the old generation until a full collection (500 a piece: a 1,000-instance
 * scan's peak RSS was 16 MB higher while its document was written).
 */
export function* jsonPieces(head: Record<string, unknown>, key: string, items: Iterable<unknown>, per = 50): Generator<string> {
  const mark = `"${randomUUID()}"`;
  const [before, after] = jsonText({ ...head, [key]: mark.slice(1, -1) }, 2).split(mark) as [string, string];
  let piece = before;
  let n = 0;
  for (const item of items) {
    piece += `${n ? ',' : '['}\n    ${jsonText(item, 2).replace(/\n/g, '\n    ')}`;
    if (++n % per === 0) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}${n ? '\n  ]' : '[]'}${after}`;
}
