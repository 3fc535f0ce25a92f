/**
 * Probing throughput against real local servers (influxd plain, influxd with
 * auth, influxd over HTTPS, nginx in front), and the total time of a batch of
 * hanging endpoints against the bound ceil(n / concurrency) × endpoint timeout.
 * Loopback only. Usage: node dist/bench/probe.js [--endpoints N] [--hanging N]
 */
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../lib/config.js';
import { probeTargets } from '../lib/probe.js';
import { certificates, influxQuery, startInfluxd } from '../scripts/influxd.js';
import { startHardenedProxy } from '../scripts/nginx.js';
import { machine, writeSection } from './results.js';

const { values } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '400' },
    hanging: { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '32' },
  },
});
const N = Number(values.endpoints);
const HANGING = Number(values.hanging);
const CONCURRENCY = Number(values.concurrency);
const HANG_TIMEOUT_MS = 2000;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

async function main() {
  const open = await startInfluxd({});
  const authed = await startInfluxd({ auth: true });
  const https = await startInfluxd({ auth: true, https: 'valid.combined.pem' });
  for (const s of [authed, https]) await influxQuery(s.url, "CREATE USER admin WITH PASSWORD 'bench-only-pw' WITH ALL PRIVILEGES");
  const proxy = await startHardenedProxy(authed);
  const pool = [open.url, authed.url, https.url, proxy.url];
  const sockets: Socket[] = [];
  const hang = createServer((s) => sockets.push(s.on('error', () => undefined)));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const hangTarget = `127.0.0.1:${(hang.address() as { port: number }).port}`;
  try {
    const config = (over: Record<string, unknown>) =>
      parseConfig({
        probe: { allowedCidrs: ['127.0.0.0/8'], concurrency: CONCURRENCY, caFiles: [join(certificates(), 'ca.pem')], ...over },
      });

    await probeTargets(pool, config({})); // warm-up
    const targets = Array.from({ length: N }, (_, i) => pool[i % pool.length]!);
    const t0 = performance.now();
    const doc = await probeTargets(targets, config({}));
    const seconds = (performance.now() - t0) / 1000;
    const unavailable = doc.findings.filter((f) => f.status === 'NOT_AVAILABLE').length;

    // Per kind of server, to show where the time goes (TLS handshakes dominate).
    const perKind: string[] = [];
    for (const [kind, url] of [
      ['influxd HTTP, auth off', open.url],
      ['influxd HTTP, auth on', authed.url],
      ['influxd HTTPS', https.url],
      ['nginx HTTPS → influxd', proxy.url],
    ] as const) {
      const k0 = performance.now();
      await probeTargets(Array(Math.max(32, N / 4)).fill(url), config({}));
      perKind.push(`| ${kind} | ${(Math.max(32, N / 4) / ((performance.now() - k0) / 1000)).toFixed(0)} endpoints/s |`);
    }

    const hangTargets = Array.from({ length: HANGING }, () => hangTarget);
    const h0 = performance.now();
    const hung = await probeTargets(
      hangTargets,
      config({ endpointTimeoutMs: HANG_TIMEOUT_MS, connectTimeoutMs: 1000, tlsTimeoutMs: 1000, responseTimeoutMs: 1500 }),
    );
    const hangSeconds = (performance.now() - h0) / 1000;
    const bound = Math.ceil(HANGING / CONCURRENCY) * (HANG_TIMEOUT_MS / 1000);
    const allUnavailable = hung.findings.every((f) => f.status === 'NOT_AVAILABLE');

    const rows = [
      `| endpoints probed (influxd plain, influxd auth, influxd HTTPS, nginx HTTPS; ${CONCURRENCY} at a time) | ${N} |`,
      `| wall time | ${seconds.toFixed(2)} s |`,
      `| throughput | **${(N / seconds).toFixed(0)} endpoints/s** |`,
      `| findings | ${doc.findings.length} (${unavailable} NOT_AVAILABLE) |`,
      `| hanging endpoints (accept, never answer), endpoint timeout ${HANG_TIMEOUT_MS} ms | ${HANGING} |`,
      `| hanging batch total | **${hangSeconds.toFixed(2)} s** (bound ceil(${HANGING}/${CONCURRENCY}) × ${HANG_TIMEOUT_MS / 1000} s = ${bound} s; ${hangSeconds <= bound + 1 ? 'within' : 'OVER'} bound + 1 s) |`,
      `| hanging endpoints reported NOT_AVAILABLE | ${allUnavailable ? 'all' : 'NOT ALL'} |`,
      `| peak RSS of the prober process | ${(peakRss / 2 ** 20).toFixed(0)} MB |`,
      ...perKind,
    ];
    const body = `## Probing\n\n${machine()}. \`node dist/bench/probe.js --endpoints ${N} --hanging ${HANGING} --concurrency ${CONCURRENCY}\`\n\n| measure | value |\n|---|---|\n${rows.join('\n')}`;
    writeSection('probe', body);
    process.stdout.write(`${body}\n`);
    if (unavailable > 0 || !allUnavailable || hangSeconds > bound + 1) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    sockets.forEach((s) => s.destroy());
    hang.close();
    await Promise.all([open, authed, https, proxy].map((s) => s.stop()));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
