/**
 * `npm run demo`: start the AWS emulator and a few real InfluxDB servers (and
 * an nginx) on 127.0.0.1, seed a small estate with deliberate
 * misconfigurations whose instances point at those servers, run the real CLI
 * against it and print its table, then stop everything it started.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { emulatorEnv, startEmulator } from './emulator.js'; // plain JS, shared with Jest's global setup
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DEMO_REGION, demoEstate, demoHosts, type DemoEndpoints } from './demo-estate.js';
import { seedEstate } from './estate.js';
import { certificates, influxQuery, startInfluxd, type RunningInfluxd } from './influxd.js';
import { startHardenedProxy } from './nginx.js';

async function startServers(): Promise<{ servers: RunningInfluxd[]; urls: DemoEndpoints; pids: Record<keyof DemoEndpoints, number> }> {
  const [open, noAdmin, selfSigned, protectedInflux] = await Promise.all([
    startInfluxd({}),
    startInfluxd({ auth: true }),
    startInfluxd({ auth: true, https: 'selfsigned.combined.pem' }),
    startInfluxd({ auth: true, pprof: false }),
  ]);
  // Fixture setup (the scanner never writes): admins where the story needs them.
  for (const s of [selfSigned!, protectedInflux!]) await influxQuery(s.url, `CREATE USER admin WITH PASSWORD '${randomBytes(12).toString('hex')}' WITH ALL PRIVILEGES`);
  const hardened = await startHardenedProxy(protectedInflux!);
  return {
    servers: [open!, noAdmin!, selfSigned!, protectedInflux!, hardened],
    urls: { open: open!.url, noAdmin: noAdmin!.url, selfSigned: selfSigned!.url, hardened: hardened.url },
    // Host evidence for the nginx-fronted instances comes from the influxd behind it.
    pids: { open: open!.pid, noAdmin: noAdmin!.pid, selfSigned: selfSigned!.pid, hardened: protectedInflux!.pid },
  };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const cli = fileURLToPath(new URL('../bin/influxguard.js', import.meta.url));

async function main(): Promise<number> {
  process.stderr.write('demo: starting the AWS emulator (moto) on 127.0.0.1…\n');
  const emulator = await startEmulator();
  process.stderr.write('demo: starting InfluxDB servers (influxd ×4, nginx) on 127.0.0.1…\n');
  const { servers, urls, pids } = await startServers().catch(async (err: unknown) => {
    await emulator.stop();
    throw err;
  });
  try {
    const env = { ...process.env, ...emulatorEnv(emulator.endpoint, DEMO_REGION) };
    const ec2 = new EC2Client({ region: DEMO_REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const estate = await seedEstate(ec2, demoEstate(urls));
    ec2.destroy();
    const names = Object.keys(estate.instances);
    process.stderr.write(`demo: seeded ${names.length} instances in ${DEMO_REGION} (${names.join(', ')})\n`);
    // Host evidence: the real collector runs locally against the influxd standing in for each instance.
    const configFile = join(certificates(), 'demo-config.json');
    writeFileSync(configFile, JSON.stringify({ host: { local: Object.fromEntries(demoHosts(pids).map(([name, pid]) => [name, { pids: [pid] }])) } }));
    // Probes reach only 127.0.0.0/8 (emulatorEnv); the test CA stands in for the operator's CA.
    const args = ['scan', '--region', DEMO_REGION, '--config', configFile, '--allow-port', `22@${estate.groups.bastion}`, '--ca', join(certificates(), 'ca.pem'), ...process.argv.slice(2)];
    process.stderr.write(`demo: influxguard ${args.join(' ')}\n\n`);
    const code = await new Promise<number>((resolve) => {
      spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env }).on('exit', (c) => resolve(c ?? 2));
    });
    process.stderr.write(`\ndemo: influxguard exited ${code} (1 = failing findings at or above --fail-on)\n`);
    return code === 1 || code === 0 ? 0 : code;
  } finally {
    await Promise.all([emulator.stop(), ...servers.map((s) => s.stop())]);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
