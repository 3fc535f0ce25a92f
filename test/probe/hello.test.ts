/**
 * The hand-built ClientHello and the reading of the server's first answer
 * (lib/evidence/probe/hello.ts); against real servers in servers.test.ts.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { askServerCheaply, clientHello, LEGACY_SUITES, parseAnswer } from '../../lib/evidence/probe/hello.js';

const record = (type: number, fragment: Buffer) =>
  Buffer.concat([Buffer.from([type, 3, 3, fragment.length >> 8, fragment.length & 0xff]), fragment]);
function serverHello(version: number, suite: number, sessionId = Buffer.alloc(32, 7)): Buffer {
  const body = Buffer.concat([
    Buffer.from([version >> 8, version & 0xff]),
    Buffer.alloc(32, 1),
    Buffer.from([sessionId.length]),
    sessionId,
    Buffer.from([suite >> 8, suite & 0xff, 0]),
  ]);
  return Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body]);
}

describe('clientHello', () => {
  it('offers exactly the given version and suites (plus the renegotiation SCSV), SNI only for names', () => {
    const hello = clientHello({ maxVersion: 0x0302, suites: [0x002f, 0xc013] }, 'influx.example');
    expect([...hello.subarray(0, 3)]).toEqual([22, 3, 1]);
    expect(hello.readUInt16BE(3)).toBe(hello.length - 5);
    expect(hello[5]).toBe(1); // client_hello
    expect(hello.readUInt16BE(9)).toBe(0x0302);
    const suitesAt = 9 + 2 + 32 + 1;
    expect(hello.readUInt16BE(suitesAt)).toBe(6);
    expect([hello.readUInt16BE(suitesAt + 2), hello.readUInt16BE(suitesAt + 4), hello.readUInt16BE(suitesAt + 6)]).toEqual([
      0x002f, 0xc013, 0x00ff,
    ]);
    expect(hello.includes(Buffer.from('influx.example'))).toBe(true);
    expect(clientHello({ maxVersion: 0x0302, suites: LEGACY_SUITES }).includes(Buffer.from('influx.example'))).toBe(false);
  });
  it('each hello has a random of its own; the rest is the same offer, built once', () => {
    const offer = { maxVersion: 0x0303, suites: [0x000a, 0xc012] };
    const [a, b] = [clientHello(offer, 'influx.example'), clientHello(offer, 'influx.example')];
    const random = (h: Buffer) => h.subarray(11, 43);
    expect(random(a).equals(random(b))).toBe(false);
    expect(random(a).equals(Buffer.alloc(32))).toBe(false);
    expect(Buffer.concat([a.subarray(0, 11), a.subarray(43)]).equals(Buffer.concat([b.subarray(0, 11), b.subarray(43)]))).toBe(true);
    a.fill(0); // a caller's copy: the next hello is unaffected
    expect(clientHello(offer, 'influx.example').subarray(43).equals(b.subarray(43))).toBe(true);
  });
});

describe('parseAnswer', () => {
  it('reads the version and suite the server chose from a ServerHello, across records and partial data', () => {
    const whole = record(22, serverHello(0x0302, 0xc013));
    expect(parseAnswer(whole)).toEqual({ ok: true, value: { protocol: 'TLSv1.1', version: 0x0302, suite: 0xc013 } });
    expect(parseAnswer(whole.subarray(0, 20))).toBeUndefined();
    const hs = serverHello(0x0301, 0x002f, Buffer.alloc(0));
    const split = Buffer.concat([record(22, hs.subarray(0, 10)), record(22, hs.subarray(10))]);
    expect(parseAnswer(split)).toMatchObject({ ok: true, value: { protocol: 'TLSv1', suite: 0x002f } });
  });
  it('an alert, another handshake message or a non-TLS answer is a refusal', () => {
    expect(parseAnswer(record(21, Buffer.from([2, 70])))).toMatchObject({ ok: false, reason: expect.stringContaining('alert 70') });
    expect(parseAnswer(record(22, Buffer.from([11, 0, 0, 0])))).toMatchObject({ ok: false });
    expect(parseAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))).toMatchObject({
      ok: false,
      reason: 'the server does not speak TLS',
    });
  });
});

describe('askServerCheaply', () => {
  /** A TLS-speaking stub: answers each ClientHello by `answer(offered suites)`, a suite to choose or an alert; records the offers. */
  async function stub(answer: (suites: number[]) => number | { alert: number }) {
    const offers: number[][] = [];
    const server = createServer((socket) =>
      socket.once('data', (hello: Buffer) => {
        const at = 5 + 4 + 2 + 32 + 1 + hello[5 + 4 + 2 + 32]!;
        const suites = Array.from({ length: hello.readUInt16BE(at) / 2 }, (_, i) => hello.readUInt16BE(at + 2 + 2 * i)).filter(
          (x) => x !== 0x00ff,
        );
        offers.push(suites);
        const a = answer(suites);
        socket.end(typeof a === 'number' ? record(22, serverHello(0x0302, a)) : record(21, Buffer.from([2, a.alert])));
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const target = { input: `127.0.0.1:${port}`, host: '127.0.0.1', port, address: '127.0.0.1', family: 4 } as const;
    return { offers, target, close: () => new Promise((r) => server.close(r)) };
  }
  const offer = { maxVersion: 0x0302, suites: LEGACY_SUITES };
  const STATIC_RSA_FIRST = 0x002f;
  const ECDHE = 0xc013;

  it('asks the static-RSA suites first: a server accepting one is asked nothing else (no signature)', async () => {
    const s = await stub((suites) => suites[0]!);
    const r = await askServerCheaply(s.target, offer, { timeoutMs: 2000 });
    await s.close();
    expect(r).toMatchObject({ ok: true, value: { suite: STATIC_RSA_FIRST, protocol: 'TLSv1.1' } });
    expect(s.offers).toHaveLength(1);
    expect(s.offers[0]).not.toContain(ECDHE);
  });

  it('a server refusing those suites is asked the rest: the same answer as one offer of them all', async () => {
    const s = await stub((suites) => (suites.includes(ECDHE) ? ECDHE : { alert: 40 }));
    const r = await askServerCheaply(s.target, offer, { timeoutMs: 2000 });
    await s.close();
    expect(r).toMatchObject({ ok: true, value: { suite: ECDHE } });
    expect(s.offers).toHaveLength(2);
    expect([...s.offers[0]!, ...s.offers[1]!].sort()).toEqual([...LEGACY_SUITES].sort());
  });

  it('a refused version (protocol_version alert) is refused once', async () => {
    const s = await stub(() => ({ alert: 70 }));
    const r = await askServerCheaply(s.target, offer, { timeoutMs: 2000 });
    await s.close();
    expect(r).toMatchObject({ ok: false, reason: 'the server refused (TLS alert 70)' });
    expect(s.offers).toHaveLength(1);
  });
});
