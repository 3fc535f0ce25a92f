/**
 * An endpoint's HTTP requests on its one kept connection (the inspection
 * handshake's), one at a time, without node:http.
 *
 * Why hand-written: node:http's client cost about 0.15 ms of CPU a request
 * here (ClientRequest, the agent's bookkeeping, the stream plumbing around a
 * response), 40% of what probing an HTTPS endpoint cost the prober
 * (bench/probe.ts, issue 33), for a handful of GET/HEAD/OPTIONS with small
 * answers on one connection. The lane carries only answers of the plainest
 * kind: HTTP/1.x, a status of 200-599, printable ASCII headers within 32 KiB
 * (a repeated one kept as node:http keeps it), a body framed by one
 * Content-Length or chunked (or none), nothing after it. On anything else it gives the connection up without an answer
 * and the caller asks again through node:http (a probe's requests are
 * read-only), which keeps deciding everything unusual, hostile servers
 * included, as it always did. Bounded in size (headers, chunk lines,
 * trailers, bodies) and time (the response timeout, the drain of a
 * status-only answer, the endpoint's deadline).
 */
import type { Socket } from 'node:net';

export interface LaneRequest {
  method: 'GET' | 'HEAD' | 'OPTIONS';
  path: string;
  /** Lower-case names; the Host header is the lane's. */
  headers: Readonly<Record<string, string>>;
  /** Settle on the status line and headers; the body is read to its end afterwards (so the connection serves the next request), within drainMs. */
  statusOnly: boolean;
  bodyCap: number;
  responseMs: number;
  drainMs: number;
  signal?: AbortSignal;
  /** The failures' words (the same as node:http's path). */
  timedOut: string;
  aborted: string;
}

export interface LaneAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
}

/** An answer, a failure (the request was carried and failed), or undefined: not carried (ask through node:http). */
export type LaneOutcome = { ok: true; value: LaneAnswer } | { ok: false; reason: string } | undefined;

const HEADER_CAP = 32 * 1024;
const LINE_CAP = 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) ([2-5]\d\d)(?: [\x20-\x7e\t]*)?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\x20-\x7e\t]*?)[ \t]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE = /^[\x20-\x7e\t]*$/;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,7})(?:[ \t]*;[\x20-\x7e\t]*)?$/;
const CRLF = Buffer.from('\r\n\r\n');
const STATUS_START = 'HTTP/1.';
/**
 * A header sent twice is kept as node:http keeps it (IncomingMessage): these keep their first value, cookie's
 * values are joined with "; ", any other's with ", " (set-cookie's too, as the probe's observations join its list).
 */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

interface Head {
  status: number;
  headers: Record<string, string>;
  /** The connection may serve another request after this answer. */
  keepAlive: boolean;
  framing: { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };
}

/** The status line and headers, when they are of the kind the lane carries. */
function parseHead(text: string, method: string): Head | undefined {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const h = HEADER_LINE.exec(lines[i]!);
    if (!h) return undefined;
    const name = h[1]!.toLowerCase();
    if (name === '__proto__') return undefined;
    if (!Object.hasOwn(headers, name)) headers[name] = h[2]!;
    else if (name === 'content-length' || name === 'transfer-encoding')
      return undefined; // framing twice: node:http's to judge
    else if (!FIRST_WINS.has(name)) headers[name] += `${name === 'cookie' ? '; ' : ', '}${h[2]!}`;
  }
  const code = Number(status[2]);
  const keepAlive = status[1] === '1' && !/(^|,)\s*close\s*(,|$)/i.test(headers.connection ?? '');
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  let framing: Head['framing'];
  if (method === 'HEAD' || code === 204 || code === 304) framing = { kind: 'none' };
  else if (te !== undefined) {
    if (cl !== undefined || te.toLowerCase() !== 'chunked') return undefined;
    framing = { kind: 'chunked' };
  } else if (cl !== undefined && /^\d{1,9}$/.test(cl)) framing = { kind: 'length', length: Number(cl) };
  else return undefined; // read to the close, or a malformed length: node:http's to judge
  return { status: code, headers, keepAlive, framing };
}

/** How far a body is: more to come, whole (`extra`: with bytes after it), or not of the kind the lane follows. */
type Progress = 'more' | 'whole' | 'extra' | 'bad';

/** A chunked body's decoder: the data out through `out`, and how far the body is after each piece. */
function chunkedDecoder(out: (data: Buffer) => void): (data: Buffer) => Progress {
  let pending: Buffer = Buffer.alloc(0);
  let state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  let left = 0;
  let trailers = 0;
  return (data) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    for (;;) {
      if (state === 'data') {
        if (!pending.length) return 'more';
        const take = pending.subarray(0, left);
        out(take);
        left -= take.length;
        pending = pending.subarray(take.length);
        if (left === 0) state = 'crlf';
        continue;
      }
      const eol = pending.indexOf('\r\n');
      if (eol < 0) return pending.length > LINE_CAP ? 'bad' : 'more';
      const line = pending.subarray(0, eol).toString('latin1');
      pending = pending.subarray(eol + 2);
      if (state === 'crlf') {
        if (line !== '') return 'bad';
        state = 'size';
      } else if (state === 'size') {
        const m = CHUNK_SIZE.exec(line);
        if (!m) return 'bad';
        left = Number.parseInt(m[1]!, 16);
        state = left === 0 ? 'trailer' : 'data';
      } else {
        if (line === '') return pending.length ? 'extra' : 'whole';
        trailers += line.length;
        if (trailers > HEADER_CAP || !HEADER_LINE.test(line)) return 'bad';
      }
    }
  };
}

export class Lane {
  #socket: Socket | undefined;
  #queue: Promise<void> = Promise.resolve();
  /** A request is out (between its write and the end of its exchange). */
  #busy = false;
  readonly #host: string;

  /** `socket`: connected (and secured) to the endpoint; the lane owns it from now on. `host`: the Host header's value. */
  constructor(socket: Socket, host: string) {
    this.#socket = socket;
    this.#host = host;
    // A server closing the idle connection, or an error between requests: the next request goes through node:http.
    socket.on('error', () => this.close());
    socket.once('close', () => this.close());
    // Bytes while no request is out (an answer to nothing, or a late one) would be the next request's answer, or be
    // dropped unseen: the connection is given up, as node:http gives up a kept connection that speaks while idle.
    socket.on('data', () => {
      if (!this.#busy) this.close();
    });
  }

  close(): void {
    const s = this.#socket;
    this.#socket = undefined;
    s?.destroy();
  }

  /** Ask in turn, after the requests before it (and their drains) are done. */
  run(r: LaneRequest): Promise<LaneOutcome> {
    return new Promise((resolve) => {
      this.#queue = this.#queue.then(
        () =>
          new Promise<void>((finished) => {
            this.#exchange(r, resolve, finished);
          }),
      );
    });
  }

  #exchange(r: LaneRequest, answer: (o: LaneOutcome) => void, finished: () => void): void {
    // The deadline first: a request not carried is asked again through node:http, which must not start after it.
    if (r.signal?.aborted) {
      answer({ ok: false, reason: r.aborted });
      finished();
      return;
    }
    const socket = this.#socket;
    const request = this.#request(r);
    if (!socket || socket.destroyed || !socket.writable || request === undefined) {
      answer(undefined);
      finished();
      return;
    }
    let settled = false;
    let over = false;
    let head: Head | undefined;
    let statusLine = false;
    /** The head so far: the first `held` bytes of `room` (which grows by doubling: a head trickled in is not copied again with each piece). */
    let room: Buffer = Buffer.alloc(0);
    let held = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    let feed: ((data: Buffer) => Progress) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const settle = (o: LaneOutcome) => {
      if (settled) return;
      settled = true;
      answer(o);
    };
    /** The exchange is over: the connection stays for the next request only when `reusable`. */
    const end = (reusable: boolean) => {
      if (over) return;
      over = true;
      this.#busy = false;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      r.signal?.removeEventListener('abort', onAbort);
      if (!reusable) this.close();
      settle(undefined); // not settled by now: not carried
      finished();
    };
    /**
     * The answer is whole (or cut at the cap). `extra`: bytes came after it, which node:http may take for a broken
     * next answer and fail on (a 204 with a body): not carried, node:http asks and decides (a status-only answer stands).
     */
    const complete = (truncated: boolean, extra = false) => {
      const h = head!;
      if (!r.statusOnly && !extra)
        settle({ ok: true, value: { status: h.status, headers: h.headers, body: Buffer.concat(chunks).toString('utf8'), truncated } });
      end(h.keepAlive && !truncated && !extra);
    };
    const body = (data: Buffer) => {
      if (r.statusOnly) {
        size += data.length;
        if (size > r.bodyCap) end(false);
        return;
      }
      const room = r.bodyCap - size;
      if (data.length >= room && data.length > 0) {
        chunks.push(data.subarray(0, room));
        size = r.bodyCap;
        return complete(true);
      }
      chunks.push(data);
      size += data.length;
    };
    const onHead = (rest: Buffer) => {
      const h = head!;
      if (r.statusOnly) {
        settle({ ok: true, value: { status: h.status, headers: h.headers, body: '', truncated: true } });
        // The body, read to its end in the background so the connection serves the next request; slow or large: given up.
        clearTimeout(timer);
        timer = setTimeout(() => end(false), r.drainMs);
      }
      if (h.framing.kind === 'none') return complete(false, rest.length > 0);
      if (h.framing.kind === 'length') {
        let left = h.framing.length;
        if (r.statusOnly && left > r.bodyCap) return end(false);
        feed = (data) => {
          const part = data.subarray(0, left);
          left -= part.length;
          body(part);
          return left > 0 ? 'more' : part.length < data.length ? 'extra' : 'whole';
        };
      } else feed = chunkedDecoder(body);
      if (rest.length || (h.framing.kind === 'length' && h.framing.length === 0)) onBody(rest);
    };
    const onBody = (data: Buffer) => {
      const progress = feed!(data);
      if (over || progress === 'more') return;
      // A body the lane cannot follow ('bad'): a status-only answer stands, anything else is asked again through node:http.
      if (progress === 'bad') end(false);
      else complete(false, progress === 'extra');
    };
    const onData = (data: Buffer) => {
      if (head) return onBody(data);
      const from = held;
      if (!held) room = data;
      else {
        if (held + data.length > room.length) {
          const grown = Buffer.allocUnsafe(Math.max(2 * room.length, held + data.length));
          room.copy(grown, 0, 0, held);
          room = grown;
        }
        data.copy(room, held);
      }
      held += data.length;
      const buffered = room.subarray(0, held);
      // A head the lane will not carry is given up as soon as it shows (node:http refuses these at once, and a server
      // need not say more): bytes that do not begin "HTTP/1.", a line end without CR, a first line that is no status line.
      if (!STATUS_START.startsWith(buffered.toString('latin1', 0, STATUS_START.length))) return end(false);
      const at = buffered.indexOf(CRLF, Math.max(0, from - 3));
      const headEnd = at < 0 ? buffered.length : at + CRLF.length;
      for (let lf = buffered.indexOf(10, from); lf >= 0 && lf < headEnd; lf = buffered.indexOf(10, lf + 1)) {
        if (buffered[lf - 1] !== 13 || (!statusLine && !STATUS_LINE.test(buffered.toString('latin1', 0, lf - 1)))) return end(false);
        statusLine = true;
      }
      if (at < 0) {
        if (buffered.length > HEADER_CAP) end(false);
        return;
      }
      if (at > HEADER_CAP) return end(false);
      head = parseHead(buffered.subarray(0, at).toString('latin1'), r.method);
      if (!head) return end(false);
      onHead(buffered.subarray(at + 4));
    };
    // Closed before the answer was whole: not carried (node:http asks again, on a connection of its own).
    const onClose = () => end(false);
    const onAbort = () => {
      settle({ ok: false, reason: r.aborted });
      end(false);
    };
    this.#busy = true;
    socket.on('data', onData);
    socket.once('close', onClose);
    r.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      settle({ ok: false, reason: r.timedOut });
      end(false);
    }, r.responseMs);
    socket.write(request, 'latin1');
  }

  /** The request's bytes; undefined for a path or header the request could not carry as it is. */
  #request(r: LaneRequest): string | undefined {
    if (!/^\/[\x21-\x7e]*$/.test(r.path)) return undefined;
    let text = `${r.method} ${r.path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(r.headers)) {
      if (!TOKEN.test(k) || !VALUE.test(v)) return undefined;
      text += `${k}: ${v}\r\n`;
    }
    return `${text}host: ${this.#host}\r\nconnection: keep-alive\r\n\r\n`;
  }
}
