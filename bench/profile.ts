/**
 * Where a scan's CPU goes, by phase (issue 33): the fleet estate of bench/fleet.ts (N instances over four regions,
 * moto), one CLI scan `--no-probe` (the scope the peer comparison covers) under V8's sampling profiler, and its
 * samples attributed to the phase of the deepest project or package frame on their stack:
 * SDK (the AWS SDK and smithy: requests, signing, XML/JSON parsing), discovery (lib/discover, lib/kinds),
 * reachability (lib/exposure, lib/util/cidr and cidr-tools), evaluation (lib/checks, lib/evaluate), rendering
 * (lib/render), other project code, Node.js itself, and the garbage collector. The unbundled build is profiled
 * (file names survive; the bundle's minified code would not say where it is), with the CLI's own node flags.
 * Usage (in the sandbox): node dist/bench/profile.js [--instances 5000] [--write]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI_NODE_FLAGS } from '../scripts/bundle.js';
import { emulatorEnv, startEmulator } from '../scripts/emulator.js';
import { noProbeScanArgs, REGIONS, seedNoProbeFleet } from './fleet.js';
import { machine, writeSection } from './results.js';

const root = new URL('../../', import.meta.url).pathname;

/** The phase a script URL belongs to; undefined for frames that say nothing (anonymous natives). */
function phaseOf(url: string): string | undefined {
  if (!url) return undefined;
  if (/node_modules\/(@aws-sdk|@smithy|@aws-crypto|fast-xml-parser|strnum)\//.test(url)) return 'SDK';
  if (/node_modules\/(cidr-tools|ip-bigint)\//.test(url) || /\/lib\/(exposure\/|util\/cidr)/.test(url)) return 'reachability';
  if (/\/lib\/(discover|kinds)\//.test(url)) return 'discovery';
  if (/\/lib\/(checks\/|evaluate)/.test(url)) return 'evaluation';
  if (/\/lib\/render\//.test(url)) return 'rendering';
  if (url.includes('node_modules/')) return 'other packages';
  if (url.includes('/dist/')) return 'other project code';
  if (url.startsWith('node:')) return 'Node.js';
  return undefined;
}

interface Profile {
  nodes: { id: number; callFrame: { url: string; functionName: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of CPU per phase: each sample goes to the nearest frame (itself or an ancestor) that has a phase. */
function byPhase(p: Profile): Record<string, number> {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const phase = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = phase.get(id);
    if (known) return known;
    const n = nodes.get(id)!;
    const name = n.callFrame.functionName;
    const own = name === '(garbage collector)' ? 'garbage collector' : name === '(idle)' ? 'idle' : phaseOf(n.callFrame.url);
    const up = parent.get(id);
    const found = own ?? (up === undefined ? 'Node.js' : resolve(up));
    phase.set(id, found);
    return found;
  };
  const out: Record<string, number> = {};
  p.samples.forEach((id, i) => {
    const k = resolve(id);
    out[k] = (out[k] ?? 0) + (p.timeDeltas[i] ?? 0) / 1000;
  });
  return out;
}

/** The functions with the most CPU of their own (self time), one line each: ms, name, where. */
function topFunctions(p: Profile, n: number): string {
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const byFn = new Map<string, number>();
  for (const node of p.nodes) {
    const f = node.callFrame as { url: string; functionName: string; lineNumber?: number };
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${(f.lineNumber ?? 0) + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + (self.get(node.id) ?? 0));
  }
  return `${[...byFn]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`)
    .join('\n')}\n`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      instances: { type: 'string', default: '5000' },
      write: { type: 'boolean', default: false },
      // More scan options, space-separated (e.g. the peer comparison's scope: "--tag influxdb --kind ec2-instance --check net.*").
      'scan-args': { type: 'string', default: '' },
      // Also print the functions with the most CPU of their own.
      top: { type: 'string', default: '0' },
    },
  });
  const n = Number(values.instances);
  const emulator = await startEmulator();
  try {
    await seedNoProbeFleet(emulator.endpoint, n);
    const dir = mkdtempSync(join(tmpdir(), 'ig-profile-'));
    const args = [...CLI_NODE_FLAGS, '--cpu-prof', '--cpu-prof-dir', dir, join(root, 'dist', 'bin', 'influxguard.js')];
    const scan = noProbeScanArgs(values['scan-args'].split(' ').filter(Boolean));
    const t0 = performance.now();
    // Asynchronously: this process reads the emulator's output, which must not block while the scan runs.
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [...args, ...scan], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, ...emulatorEnv(emulator.endpoint, REGIONS[0]![0]) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      p.on('error', reject);
      p.on('exit', (status) => resolve({ status, stderr }));
    });
    const wallS = (performance.now() - t0) / 1000;
    if (r.status !== 0 && r.status !== 3) throw new Error(`scan exited ${r.status}: ${r.stderr.slice(-1500)}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const phases = byPhase(profile);
    if (Number(values.top) > 0) process.stderr.write(topFunctions(profile, Number(values.top)));
    const busy = Object.entries(phases).filter(([k]) => k !== 'idle');
    const total = busy.reduce((s, [, v]) => s + v, 0);
    const rows = busy
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(2)} s | ${((100 * v) / total).toFixed(0)} % |`);
    const body = `## Where a scan's CPU goes\n\n${machine()}. \`node dist/bench/profile.js --instances ${n}\`: one CLI scan of ${n} instances in four regions, \`--no-probe\`, unbundled (dist/bin) with the CLI's node flags under \`--cpu-prof\` (the profiler adds its own overhead; shares matter, not totals). Wall ${wallS.toFixed(1)} s, CPU sampled ${(total / 1000).toFixed(2)} s.\n\n| phase | CPU | share |\n|---|---|---|\n${rows.join('\n')}`;
    process.stdout.write(`${body}\n`);
    if (values.write) writeSection(`profile-${n}`, body);
  } finally {
    await emulator.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
