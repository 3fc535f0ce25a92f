/** Scan-and-publish runs against the emulator's Security Hub, shared by the kinds' publishing tests. */
import { GetFindingsCommand, type AwsSecurityFinding, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Clients } from '../../lib/aws/clients.js';
import type { Config } from '../../lib/config.js';
import { publishScan } from '../../lib/publish/index.js';
import { scan } from '../../lib/scan.js';

/** Every finding Security Hub holds (all pages). */
export async function allFindings(sh: SecurityHubClient): Promise<AwsSecurityFinding[]> {
  const out: AwsSecurityFinding[] = [];
  let token: string | undefined;
  do {
    const page = await sh.send(new GetFindingsCommand({ MaxResults: 100, ...(token ? { NextToken: token } : {}) }));
    out.push(...(page.Findings ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/** One scan of `region`, published at `at` (no pacing). */
export async function scanAndPublish(config: Config, clients: Clients, region: string, at: string) {
  const r = await scan(config, { clients, homeRegion: region });
  return { r, report: await publishScan(r, config, { clients, now: () => new Date(at), importOptions: { pacingMs: 0 } }) };
}
