/**
 * `npm run demo`: start the AWS emulator, seed a small estate with deliberate
 * misconfigurations, run the real CLI against it and print its table, then
 * stop what it started. Everything stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { emulatorEnv, startEmulator } from './emulator.js'; // plain JS, shared with Jest's global setup
import { DEMO_REGION, demoEstate } from './demo-estate.js';
import { seedEstate } from './estate.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const cli = fileURLToPath(new URL('../bin/influxguard.js', import.meta.url));

async function main(): Promise<number> {
  process.stderr.write('demo: starting the AWS emulator (moto) on 127.0.0.1…\n');
  const emulator = await startEmulator();
  try {
    const env = { ...process.env, ...emulatorEnv(emulator.endpoint, DEMO_REGION) };
    const ec2 = new EC2Client({ region: DEMO_REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const estate = await seedEstate(ec2, demoEstate);
    ec2.destroy();
    const names = Object.keys(estate.instances);
    process.stderr.write(`demo: seeded ${names.length} instances in ${DEMO_REGION} (${names.join(', ')})\n`);
    // The demo estate's instances have emulated private IPs: no endpoints to probe (yet).
    const args = ['scan', '--region', DEMO_REGION, '--no-probe', '--allow-port', `22@${estate.groups.bastion}`, ...process.argv.slice(2)];
    process.stderr.write(`demo: influxguard ${args.join(' ')}\n\n`);
    const code = await new Promise<number>((resolve) => {
      spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env }).on('exit', (c) => resolve(c ?? 2));
    });
    process.stderr.write(`\ndemo: influxguard exited ${code} (1 = failing findings at or above --fail-on)\n`);
    return code === 1 || code === 0 ? 0 : code;
  } finally {
    await emulator.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
