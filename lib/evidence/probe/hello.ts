/**
 * What a server agrees to, asked with a hand-built TLS ClientHello over a
 * plain TCP connection: the server's first answer is either a ServerHello
 * naming the version and cipher suite it chose from what was offered (it
 * accepts them) or an alert (it refuses). The exchange stops there: no key
 * exchange, no certificate verification, no Finished. This is how TLS
 * scanners test legacy protocols and weak suites; it costs neither side a full
 * handshake and, unlike a handshake through the local TLS library, it can
 * offer suites that library no longer implements (RC4, NULL, EXPORT).
 */
import { randomFillSync } from 'node:crypto';
import { connect, isIP, type Socket } from 'node:net';
import { fail, ok, type Result } from '../../model.js';
import type { ResolvedTarget } from './target.js';

export interface HelloOffer {
  /** Highest version offered (client_version): 0x0301 TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS 1.2. */
  maxVersion: number;
  /** Cipher suite codes, in the order offered. */
  suites: readonly number[];
}

export interface ServerHello {
  /** The version the server chose: TLSv1, TLSv1.1, TLSv1.2 (Node's names). */
  protocol: string;
  /** The version's code, e.g. 0x0301. */
  version: number;
  /** The suite the server chose (a code from the offer). */
  suite: number;
}

export const VERSION_NAMES: Record<number, string> = { 768: 'SSLv3', 769: 'TLSv1', 770: 'TLSv1.1', 771: 'TLSv1.2', 772: 'TLSv1.3' };

/** Suites valid in TLS 1.0/1.1 that servers of that era chose from, key exchange by RSA first (the cheapest answer for the server). */
export const LEGACY_SUITES = [
  0x002f,
  0x0035,
  0x000a, // TLS_RSA_WITH_AES_128_CBC_SHA, _AES_256_CBC_SHA, _3DES_EDE_CBC_SHA
  0xc013,
  0xc014,
  0xc012, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, _AES_256_CBC_SHA, _3DES_EDE_CBC_SHA
  0xc009,
  0xc00a,
  0xc008, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, _AES_256_CBC_SHA, _3DES_EDE_CBC_SHA
  0x0033,
  0x0039,
  0x0016, // TLS_DHE_RSA_WITH_AES_128_CBC_SHA, _AES_256_CBC_SHA, _3DES_EDE_CBC_SHA
  0x0041,
  0x0084, // TLS_RSA_WITH_CAMELLIA_128_CBC_SHA, _256_CBC_SHA
  0x0005,
  0x0004,
  0xc011,
  0xc007, // RC4: RSA SHA, RSA MD5, ECDHE_RSA, ECDHE_ECDSA
];

/** Weak suite families and their codes (IANA registry). */
export const WEAK_SUITES: Record<'3DES' | 'RC4' | 'NULL' | 'EXPORT', readonly number[]> = {
  '3DES': [0x000a, 0xc012, 0xc008, 0x0016, 0x0013],
  RC4: [0x0005, 0x0004, 0xc011, 0xc007, 0x0018],
  NULL: [0x0002, 0x0001, 0x003b, 0xc010, 0xc006],
  EXPORT: [0x0003, 0x0006, 0x0008, 0x0014, 0x0011, 0x0062, 0x0064],
};

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);

/** Where the client random sits in a ClientHello record: record header (5), handshake header (4), client_version (2). */
const RANDOM_AT = 11;
/** Built hellos by offer and server name, the random left to fill: an endpoint asks two to three, the same few offers every time. */
const templates = new Map<string, Buffer>();

/** A ClientHello record offering exactly `offer` (plus the renegotiation SCSV), with SNI when the host is a name. */
export function clientHello(offer: HelloOffer, serverName?: string): Buffer {
  const key = `${offer.maxVersion}/${offer.suites.join()}/${serverName ?? ''}`;
  let template = templates.get(key);
  if (!template) {
    if (templates.size >= 256) templates.clear(); // server names differ across a fleet: bounded
    template = buildHello(offer, serverName);
    templates.set(key, template);
  }
  const hello = Buffer.from(template);
  randomFillSync(hello, RANDOM_AT, 32);
  return hello;
}

function buildHello(offer: HelloOffer, serverName?: string): Buffer {
  const suites = Buffer.concat([...offer.suites, 0x00ff].map(u16));
  const extensions = Buffer.concat([
    ...(serverName ? [ext(0x0000, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(serverName, 'ascii'))])))] : []),
    ext(0x000a, vec16(Buffer.concat([0x001d, 0x0017, 0x0018, 0x0019].map(u16)))), // supported_groups: x25519, P-256, P-384, P-521
    ext(0x000b, Buffer.from([1, 0])), // ec_point_formats: uncompressed
    ext(0x000d, vec16(Buffer.concat([0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0804, 0x0805, 0x0201, 0x0203].map(u16)))), // signature_algorithms
  ]);
  const body = Buffer.concat([
    u16(offer.maxVersion),
    Buffer.alloc(32), // the client random, filled per hello (clientHello)
    Buffer.from([0]),
    vec16(suites),
    Buffer.from([1, 0]),
    vec16(extensions),
  ]);
  const handshake = Buffer.concat([Buffer.from([1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([22, 0x03, 0x01]), vec16(handshake)]);
}

/**
 * Read the server's first handshake answer from `data` (records so far):
 * `undefined` while incomplete; a ServerHello; or the reason it refused.
 */
export function parseAnswer(data: Buffer): Result<ServerHello> | undefined {
  let handshake = Buffer.alloc(0);
  let at = 0;
  while (data.length >= at + 5) {
    const type = data[at]!;
    const length = data.readUInt16BE(at + 3);
    if (data.length < at + 5 + length) break;
    const fragment = data.subarray(at + 5, at + 5 + length);
    at += 5 + length;
    if (type === 21) return fail(`the server refused (TLS alert ${fragment[1] ?? '?'})`);
    if (type !== 22) return fail(`the server answered with TLS record type ${type}, not a handshake`);
    handshake = Buffer.concat([handshake, fragment]);
    if (handshake.length >= 4) {
      if (handshake[0] !== 2) return fail(`the server answered with handshake message ${handshake[0]}, not a ServerHello`);
      const size = handshake.readUIntBE(1, 3);
      if (handshake.length < 4 + size) continue;
      const hello = handshake.subarray(4, 4 + size);
      if (hello.length < 38) return fail('the ServerHello is too short');
      const version = hello.readUInt16BE(0);
      const sessionIdLength = hello[34]!;
      if (hello.length < 35 + sessionIdLength + 2) return fail('the ServerHello is too short');
      const suite = hello.readUInt16BE(35 + sessionIdLength);
      return ok({ protocol: VERSION_NAMES[version] ?? `0x${version.toString(16)}`, version, suite });
    }
  }
  if (data.length > 0 && data[0] !== 22 && data[0] !== 21) return fail('the server does not speak TLS');
  return undefined;
}

/**
 * Offer `offer` to the target and read its answer. `ok` only for a ServerHello
 * that chose an offered suite at an offered version; anything else (alert,
 * close, reset, garbage, timeout) is the reason it did not accept.
 */
export function askServer(
  t: ResolvedTarget,
  offer: HelloOffer,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<Result<ServerHello>> {
  if (opts.signal?.aborted) return Promise.resolve(fail('the endpoint deadline was reached'));
  return new Promise((resolve) => {
    let settled = false;
    let data = Buffer.alloc(0);
    const done = (r: Result<ServerHello>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', aborted);
      socket.destroy();
      resolve(r);
    };
    const aborted = () => done(fail('the endpoint deadline was reached'));
    opts.signal?.addEventListener('abort', aborted, { once: true });
    const timer = setTimeout(() => done(fail(`no TLS answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const socket: Socket = connect({ host: t.address, port: t.port, family: t.family });
    socket.once('connect', () => socket.write(clientHello(offer, isIP(t.host) ? undefined : t.host)));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length > 64 * 1024) return done(fail('the server answered more than 64 KiB before its ServerHello'));
      const r = parseAnswer(data);
      if (!r) return;
      if (r.ok && (!offer.suites.includes(r.value.suite) || r.value.version > offer.maxVersion || r.value.version < 0x0300)) {
        return done(
          fail(
            `the server answered ${r.value.protocol} with suite 0x${r.value.suite.toString(16).padStart(4, '0')}, which was not offered`,
          ),
        );
      }
      done(r);
    });
    socket.once('end', () => done(fail('the server closed the connection without a ServerHello')));
    socket.once('close', () => done(fail('the server closed the connection without a ServerHello')));
    socket.once('error', (err: NodeJS.ErrnoException) => done(fail(`${err.code ?? 'error'}: ${err.message}`)));
  });
}

/**
 * Static-RSA key-exchange suites: a server choosing one answers with its
 * certificate and no ServerKeyExchange, so the question costs it no
 * signature. An (EC)DHE suite costs the server a key pair and an RSA/ECDSA
 * signature, about what a full handshake costs it (measured against influxd:
 * it prefers ECDHE, and the two legacy probes tripled its TLS work per endpoint).
 */
const STATIC_RSA = new Set([0x002f, 0x0035, 0x000a, 0x0041, 0x0084, 0x0005, 0x0004, 0x0002, 0x0001, 0x003b]);

/** The server refused the offered suites, not the version (any alert but protocol_version, 70): another offer may succeed. */
const suitesRefused = (r: Result<ServerHello>) => !r.ok && /^the server refused \(TLS alert (?!70\))/.test(r.reason);

/**
 * `askServer` for the whole offer, asked in two steps: its static-RSA suites
 * first, and the others only when the server refused those suites (not the
 * version). The answer is the same question's (does the server accept any
 * offered suite at an offered version); a server that accepts the cheap part
 * is never made to sign.
 */
export async function askServerCheaply(
  t: ResolvedTarget,
  offer: HelloOffer,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<Result<ServerHello>> {
  const cheap = offer.suites.filter((s) => STATIC_RSA.has(s));
  const rest = offer.suites.filter((s) => !STATIC_RSA.has(s));
  if (!cheap.length || !rest.length) return askServer(t, offer, opts);
  const first = await askServer(t, { ...offer, suites: cheap }, opts);
  return suitesRefused(first) ? askServer(t, { ...offer, suites: rest }, opts) : first;
}
