/**
 * Timestream for InfluxDB evidence: its security groups as openings (the same exposure model as EC2 instances;
 * a managed DB has no address of its own in the API), its parameter group and log delivery from discovery, and
 * a probe of its managed endpoint (always TLS; AWS's name, so never under an emulator). No host, no audit.
 */
import { isWorldOpen, opensTcpPort } from '../../exposure/reach.js';
import { networkEvidence } from '../../exposure/network.js';
import type { EvidenceTargets } from '../../evidence/index.js';
import type { ProbeTarget } from '../../evidence/probe/target.js';
import {
  ok,
  type DatabaseContext,
  type EndpointContext,
  type NetworkEvidence,
  type RegionInventory,
  type Result,
  type TimestreamDb,
} from '../../model.js';
import type { GatherEnv, Sourced } from '../kind.js';
import { parametersOf } from './parameters.js';
import { timestreamDbSubject } from './subject.js';

/**
 * Where to probe a DB: its managed endpoint on its port, when it is available. The name is AWS's, not a tag: it
 * needs no owner check, but must still resolve inside the allowed CIDRs.
 */
function dbProbeTarget(db: TimestreamDb): ProbeTarget | undefined {
  if (!db.endpoint || (db.status && !/^available$/i.test(db.status))) return undefined;
  return { input: `https://${db.endpoint}:${db.port}`, scheme: 'https', host: db.endpoint, port: db.port };
}

/** The DB admits its port from the world and is publicly accessible: probe findings on it are raised one level. */
const dbInternetExposed = (db: TimestreamDb, net: Result<NetworkEvidence>): boolean =>
  db.publiclyAccessible && net.ok && net.value.openings.some((o) => opensTcpPort(o, db.port) && isWorldOpen(o));

export const timestreamDbTargets = (): EvidenceTargets<TimestreamDb> => ({
  id: (db) => db.id,
  probeTarget: (db) => {
    const t = dbProbeTarget(db);
    return t ? ok(t) : undefined;
  },
  managedEndpoint: true,
});

export const timestreamDbContexts = (dbs: readonly TimestreamDb[], inv: RegionInventory, env: GatherEnv): DatabaseContext[] =>
  dbs.map((db) => ({
    db,
    settings: env.settings,
    evidence: {
      network: networkEvidence({ securityGroupIds: db.securityGroupIds, publicIps: [], ipv6: [] }, inv, new Map(), []),
      parameters: parametersOf(db, inv.parameterGroups),
      logs: ok(db.logDelivery),
    },
  }));

/** A probed managed endpoint (never under an emulator). */
export function timestreamDbEndpoint(
  db: TimestreamDb,
  ctx: DatabaseContext,
  sourced: Sourced,
  env: GatherEnv,
): EndpointContext | undefined {
  const probed = sourced.probe;
  if (!probed) return undefined;
  return {
    endpoint: probed.ok ? probed.value.endpoint : dbProbeTarget(db)!.input,
    probed: true,
    evidence: { probe: probed },
    settings: env.settings,
    db,
    subject: timestreamDbSubject(db),
    internetExposed: dbInternetExposed(db, ctx.evidence.network),
    now: env.now,
  };
}
