/**
 * EC2 user data as cloud-init reads it, reduced to where it holds an InfluxDB credential (CHECKS.md
 * `secrets.user-data`): base64 (as DescribeInstanceAttribute returns it), then gzip, then MIME multipart, each
 * part decoded the same way. Pure and bounded: the text lives only inside `userDataVerdict`; what leaves it is the
 * variable or command name and the line number.
 *
 * The MIME reading is our own, narrow on purpose: cloud-init's multipart user data (`write-mime-multipart`,
 * Terraform's `cloudinit_config`) is one boundary, per-part `Content-Type` and `Content-Transfer-Encoding`
 * (base64 or 7bit/8bit), possibly nested once. No MIME library is in the tree, and an e-mail parser would decode far
 * more (attachments, charsets, headers) than this reads, from text that is not trusted.
 */
import type { CredentialSighting, UserDataVerdict } from '../model.js';
import { credentialSightings } from './credentials.js';

/** AWS caps user data at 16 KB before base64; more is not user data EC2 would run. */
export const USER_DATA_MAX_BYTES = 16 * 1024;
/** The most decompressed text read (a gzip bomb stops here). */
export const USER_DATA_MAX_TEXT = 1024 * 1024;
const MAX_DEPTH = 3;

const GZIP_MAGIC = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;

interface Decoded {
  parts: string[];
  truncated: boolean;
}

/** Gunzipped bytes (bounded), or the bytes as they are. */
function gunzipped(b: Buffer): { bytes: Buffer; truncated: boolean } {
  if (!GZIP_MAGIC(b)) return { bytes: b, truncated: false };
  try {
    // node:zlib is loaded here, by the first gzipped user data, not at import (each Lambda cold start would load it).
    return { bytes: process.getBuiltinModule('node:zlib').gunzipSync(b, { maxOutputLength: USER_DATA_MAX_TEXT }), truncated: false };
  } catch {
    // Too large, or damaged: nothing of it is read (and the verdict says the user data was not all read).
    return { bytes: Buffer.alloc(0), truncated: true };
  }
}

/** Headers of a MIME entity (lower-cased names, folded lines joined), and where its body starts. */
function headers(text: string): { fields: Map<string, string>; body: string } | undefined {
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return undefined;
  const fields = new Map<string, string>();
  for (const line of text
    .slice(0, end)
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { fields, body: text.slice(end).replace(/^\r?\n\r?\n/, '') };
}

const BOUNDARY = /boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i;

/** The parts of a multipart entity; undefined when the text is not one. */
function multipart(text: string): string[] | undefined {
  const h = headers(text);
  const type = h?.fields.get('content-type') ?? '';
  const m = /^multipart\//i.test(type) ? BOUNDARY.exec(type) : null;
  if (!h || !m) return undefined;
  const delimiter = `--${m[1] ?? m[2]}`;
  const chunks = h.body.split(delimiter).slice(1);
  // Everything after the closing delimiter (`--boundary--`) is epilogue.
  const closing = chunks.findIndex((c) => c.startsWith('--'));
  return (closing < 0 ? chunks : chunks.slice(0, closing)).map((c) => c.replace(/^\r?\n/, ''));
}

/** One MIME part's body, decoded by its transfer encoding (and gunzipped). */
function partBody(part: string): { text: string; truncated: boolean } {
  const h = headers(part);
  if (!h) return { text: part, truncated: false };
  const encoding = (h.fields.get('content-transfer-encoding') ?? '').toLowerCase();
  const raw = encoding === 'base64' ? Buffer.from(h.body.replace(/\s+/g, ''), 'base64') : Buffer.from(h.body, 'utf8');
  const { bytes, truncated } = gunzipped(raw);
  const type = h.fields.get('content-type') ?? '';
  // A nested multipart keeps its own headers.
  const text = /^multipart\//i.test(type) ? `Content-Type: ${type}\n\n${bytes.toString('utf8')}` : bytes.toString('utf8');
  return { text, truncated };
}

function decodeText(text: string, depth: number, out: Decoded): void {
  const parts = depth < MAX_DEPTH ? multipart(text) : undefined;
  if (!parts) {
    out.parts.push(text);
    return;
  }
  for (const p of parts) {
    const body = partBody(p);
    out.truncated ||= body.truncated;
    decodeText(body.text, depth + 1, out);
  }
}

/** The user data's texts: one, or one per MIME part (nested parts flattened in order). */
export function decodeUserData(base64: string): Decoded {
  const out: Decoded = { parts: [], truncated: false };
  let raw = Buffer.from(base64.slice(0, Math.ceil((USER_DATA_MAX_BYTES * 4) / 3) + 4), 'base64');
  if (raw.length > USER_DATA_MAX_BYTES) {
    raw = raw.subarray(0, USER_DATA_MAX_BYTES);
    out.truncated = true;
  }
  const { bytes, truncated } = gunzipped(raw);
  out.truncated ||= truncated;
  decodeText(bytes.toString('utf8'), 0, out);
  return out;
}

/** The verdict on one instance's user data (base64 as EC2 returns it; undefined or empty: none). */
export function userDataVerdict(base64: string | undefined): UserDataVerdict {
  if (!base64?.trim()) return { empty: true, sightings: [] };
  const decoded = decodeUserData(base64);
  const multi = decoded.parts.length > 1;
  const sightings: CredentialSighting[] = decoded.parts.flatMap((text, n) =>
    credentialSightings(text).map((s) => ({ ...s, ...(multi ? { part: n + 1 } : {}) })),
  );
  return { empty: false, sightings, ...(decoded.truncated ? { truncated: true as const } : {}) };
}
