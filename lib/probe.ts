/**
 * `influxguard probe URL…`: endpoint checks without AWS, the probe command's
 * pipeline (parse → gather → evaluate → document). Targets are parsed first (a
 * malformed one is a usage error), then each is probed by the evidence stage
 * (lib/evidence/probe/); a refused or unreachable target becomes
 * NOT_AVAILABLE findings and a reason the run is incomplete, the others go on.
 */
import { randomUUID } from 'node:crypto';
import { CHECKS } from './checks/index.js';
import type { Config } from './config.js';
import { usageError } from './errors.js';
import { evaluateEndpoint, evaluateProbeOnly } from './evaluate.js';
import { checkSettings } from './evidence/index.js';
import type { AuditCredentials } from './evidence/audit/credentials.js';
import { gatherAudit } from './evidence/audit/gather.js';
import { gatherProbe, probeOptions } from './evidence/probe/gather.js';
import { endpointUrl, parseTarget, type Resolver } from './evidence/probe/target.js';
import type { Check, ScanDocument } from './model.js';
import { sortFindings, summarise } from './summary.js';
import { mapLimit } from './util/concurrency.js';

export interface ProbeDeps {
  now?: () => Date;
  checks?: readonly Check[];
  resolver?: Resolver;
  /** Audit credentials (`--credentials-env`): every target is also audited with them. */
  credentials?: AuditCredentials;
}

/** The probe command's document, and why it is incomplete: each target that could not be reached, was refused, or is not InfluxDB. */
export interface ProbeRun {
  document: ScanDocument;
  incomplete: string[];
}

export async function probeTargets(inputs: string[], config: Config, deps: ProbeDeps = {}): Promise<ScanDocument> {
  return (await probeRun(inputs, config, deps)).document;
}

export async function probeRun(inputs: string[], config: Config, deps: ProbeDeps = {}): Promise<ProbeRun> {
  if (!inputs.length) throw usageError('probe needs at least one URL or host:port');
  const targets = inputs.map((input) => {
    try {
      return parseTarget(input, config.probe.port);
    } catch (err) {
      throw usageError((err as Error).message);
    }
  });
  const now = deps.now ?? (() => new Date());
  const checks = deps.checks ?? CHECKS;
  const startedAt = now();
  const opts = probeOptions(config);
  const settings = checkSettings(config);
  const incomplete: string[] = [];
  const findings = (
    await mapLimit(targets, config.probe.concurrency, async (t) => {
      const [probe, audit] = await Promise.all([
        gatherProbe(t, config.probe.allowedCidrs, opts, deps.resolver),
        deps.credentials ? gatherAudit(t, deps.credentials, config.probe.allowedCidrs, config, deps.resolver) : undefined,
      ]);
      const endpoint = probe.ok ? probe.value.endpoint : endpointUrl(t, t.scheme ?? 'http');
      if (!probe.ok) incomplete.push(`${t.input}: ${probe.reason}`);
      const evidence = { probe, ...(audit ? { audit } : {}) };
      return [
        ...evaluateEndpoint(checks, { endpoint, probed: true, evidence, settings, now: startedAt.getTime() }),
        ...evaluateProbeOnly(checks, endpoint, probe),
      ];
    })
  ).flat();
  const sorted = sortFindings(findings, checks);
  const document: ScanDocument = {
    scanId: randomUUID(),
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    scope: { accounts: [], regions: [] },
    findings: sorted,
    summary: summarise(sorted),
  };
  return { document, incomplete: incomplete.sort() };
}
