/**
 * `influxguard remediate FINDING_ID [--apply]`: the Security Hub custom
 * actions from a terminal. Reads the finding from Security Hub, shows the
 * planned change (re-read from the resource now), and only with --apply makes
 * it, notes it on the finding with the caller's identity, and rescans what it
 * changed (published, so the finding resolves through the normal lifecycle).
 * Exit codes: 0 planned or done; 1 refused (not influxguard's, stale, not
 * applicable); 2 error.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { paginateGetFindings, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { createClients } from './aws/clients.js';
import type { Config } from './config.js';
import { toAwsCallError, usageError } from './errors.js';
import { goneInstances } from './discover/ec2.js';
import { ACTIONS, planRemediation, remediate, verifyFinding, type Action } from './app/remediate.js';
import { parseFindingId } from './publish/lifecycle.js';
import { publishSecurityHub } from './publish/index.js';
import { scan } from './scan.js';
import { printable } from './util/text.js';

/** The action a finding calls for: its check's own remedy, else a rescan. */
function actionFor(checkId: string): Action {
  if (checkId === 'ebs.default-encryption-disabled') return 'enable-ebs-default-encryption';
  if (checkId.startsWith('net.') && checkId !== 'net.unexpected-ports-open') return 'revoke-world-open';
  return 'rescan';
}

export interface RemediateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export async function runRemediate(findingId: string | undefined, apply: boolean, config: Config, io: RemediateIo): Promise<number> {
  if (!findingId) throw usageError('remediate needs a finding id: influxguard remediate FINDING_ID [--apply]');
  const parts = parseFindingId(findingId);
  if (!parts)
    throw usageError(`"${printable(findingId).slice(0, 200)}" is not an influxguard finding id (influxguard/<account>/<region>/…)`);
  const { region } = parts;
  const clients = createClients({ aws: config.aws });
  try {
    const securityhub = await clients.securityHub(region);
    let finding: AwsSecurityFinding | undefined;
    try {
      const pages = paginateGetFindings(
        { client: securityhub, pageSize: 100 },
        { Filters: { Id: [{ Value: findingId, Comparison: 'EQUALS' }] } },
      );
      for await (const page of pages) {
        finding = page.Findings?.find((f) => f.Id === findingId); // re-checked: never trust a filter to be applied
        if (finding) break;
      }
    } catch (err) {
      throw toAwsCallError('securityhub', 'GetFindings', err);
    }
    if (!finding) {
      io.stderr(`influxguard: no finding ${printable(findingId)} in Security Hub (${region})\n`);
      return 1;
    }
    const target = verifyFinding(finding);
    if ('refused' in target) {
      io.stderr(`influxguard: refused: ${target.refused}\n`);
      return 1;
    }
    let caller: string;
    try {
      const who = await clients.sts(region).send(new GetCallerIdentityCommand({}));
      if (who.Account !== target.accountId) {
        io.stderr(`influxguard: refused: the finding is in account ${target.accountId}; these credentials are ${who.Account}'s\n`);
        return 1;
      }
      caller = who.Arn ?? who.Account ?? 'unknown';
    } catch (err) {
      throw toAwsCallError('sts', 'GetCallerIdentity', err);
    }
    const action = actionFor(target.checkId);
    const ec2 = clients.ec2(region);
    const plan = await planRemediation(action, finding, target, ec2, config.tagSelectors);
    io.stdout(`finding: ${printable(findingId)}\naction:  ${ACTIONS[action].name}\n`);
    if (plan.refused) {
      io.stderr(`influxguard: refused: ${plan.refused}\n`);
      return 1;
    }
    const rescanWhat = plan.rescan.wholeRegion ? `${target.accountId}/${region}` : plan.rescan.instanceIds.join(', ');
    io.stdout(`planned:\n${[...plan.changes, `rescan ${rescanWhat} and publish`].map((c) => `  - ${c}\n`).join('')}`);
    if (!apply) {
      io.stdout('dry run: nothing changed; re-run with --apply to make these changes\n');
      return 0;
    }
    const out = await remediate(action, finding, {
      ec2,
      securityhub,
      apply: true,
      requestedBy: caller,
      selectors: config.tagSelectors,
      rescan: async (r) => {
        const regional: Config = { ...config, regions: [region], publish: { ...config.publish, enabled: true } };
        const result = await scan(regional, {
          clients,
          homeRegion: region,
          ...(r.wholeRegion
            ? {}
            : { unit: { instanceIds: r.instanceIds, knownInstanceIds: r.instanceIds, regionChecks: false, regionComplete: false } }),
        });
        const report = await publishSecurityHub(result, regional, {
          clients,
          goneInstances: (_account, rg, ids) => goneInstances(clients.ec2(rg), ids),
        });
        io.stdout(`rescanned: ${report.securityHub.imported} finding(s) imported, ${report.securityHub.resolved} resolved\n`);
      },
    });
    if (out.refused) {
      io.stderr(`influxguard: refused: ${out.refused}\n`);
      return 1;
    }
    io.stdout(`done; noted on the finding: ${out.note}\n`);
    return 0;
  } finally {
    clients.destroy();
  }
}
