/**
 * Publishing at fleet scale against the emulator: an estate of N instances,
 * a first scan published to Security Hub, then an unchanged rescan. Records
 * findings imported and BatchImportFindings calls for each (counted by the
 * client middleware). Loopback only. Usage: node dist/bench/publish.js [--instances N]
 */
import { parseArgs } from 'node:util';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CallCounter, createClients } from '../lib/aws/clients.js';
import { parseConfig } from '../lib/config.js';
import { publishScan } from '../lib/publish/index.js';
import { scan } from '../lib/scan.js';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { seedEstate } from '../scripts/estate.js';
import { machine, writeSection } from './results.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { instances: { type: 'string', default: '1000' } } });
const N = Number(values.instances);
const REGION = 'eu-west-1';

async function main() {
  const emulator = await startEmulator();
  Object.assign(process.env, emulatorEnv(emulator.endpoint, REGION));
  try {
    const aws = { region: REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    await new SecurityHubClient(aws).send(new EnableSecurityHubCommand({}));
    await seedEstate(new EC2Client(aws), {
      region: REGION,
      groups: [
        { name: 'influx', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
        { name: 'ssh', rules: [{ ports: 22, cidrs: ['0.0.0.0/0'] }] },
      ],
      instances: [{ name: 'fleet', tags: { influxdb: '' }, groups: ['influx', 'ssh'], volumes: [{ device: '/dev/sdf', sizeGiB: 100, encrypted: false }], count: N }],
    });
    const config = parseConfig({ regions: [REGION], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, publish: { enabled: true } });
    const rows: string[] = [];
    for (const [label, at] of [['first scan', '2026-11-20T00:00:00Z'], ['unchanged rescan', '2026-11-21T00:00:00Z']] as const) {
      const counter = new CallCounter();
      const clients = createClients({ aws: config.aws, counter });
      const t0 = performance.now();
      const result = await scan(config, { clients, homeRegion: REGION });
      const report = await publishScan(result, config, { clients, now: () => new Date(at) });
      const seconds = (performance.now() - t0) / 1000;
      const sh = report.securityHub;
      const pct = ((100 * sh.imported) / result.document.findings.length).toFixed(1);
      rows.push(
        `| ${label} | ${result.document.findings.length} | ${sh.imported} (${pct}%) | ${counter.callsByOperation()['securityhub:BatchImportFindings'] ?? 0} | ${sh.failed.length} | ${seconds.toFixed(1)} s |`,
      );
      clients.destroy();
      if (sh.failed.length) process.exitCode = 1;
    }
    const body = `## Publishing to Security Hub (${N} instances)\n\n${machine()}. \`node dist/bench/publish.js --instances ${N}\` (emulated Security Hub; scan without probes or host evidence)\n\n| scan | findings | imported | BatchImportFindings calls | not imported | wall (scan + publish) |\n|---|---|---|---|---|---|\n${rows.join('\n')}`;
    writeSection(`publish-${N}`, body);
    process.stdout.write(`${body}\n`);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
