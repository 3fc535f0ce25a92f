/**
 * `influxguard remediate FINDING_ID [--apply]`: the Security Hub custom
 * actions from a terminal. Reads the finding from Security Hub, plans the
 * change once (re-read from the resource now) and shows it; only with --apply
 * makes it, prints each change the moment it is made, notes it on the finding
 * with the caller's identity (the note accumulates: a later refusal never
 * pushes an earlier "done" out), and rescans what it changed (published, so
 * the finding resolves through the normal lifecycle). With INFLUXGUARD_TABLE
 * (the stack's table) runs on one finding are serialised by a claim in the
 * table and every run is recorded there; without it, only the note records.
 * Exit codes (CHECKS.md "CLI exit codes"): 0 planned, or applied and recorded;
 * 1 refused, nothing changed; 2 error before anything changed; 3 changed, but
 * the note or the rescan failed (stdout lists every change made).
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { paginateGetFindings, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { createClients } from '../aws/clients.js';
import type { Config } from '../config.js';
import { toAwsCallError, usageError } from '../errors.js';
import { goneInstances } from '../discover/ec2.js';
import { ACTIONS, remediate, verifyFinding, type Action, type Plan } from '../app/remediate.js';
import { ScanStore } from '../app/store.js';
import { parseFindingId } from '../publish/lifecycle.js';
import { publishSecurityHub } from '../publish/index.js';
import { scan } from '../scan.js';
import { printable } from '../util/text.js';

/** The action a finding calls for: its check's own remedy, else a rescan. */
function actionFor(checkId: string): Action {
  if (checkId === 'ebs.default-encryption-disabled') return 'enable-ebs-default-encryption';
  if (checkId.startsWith('net.') && checkId !== 'net.unexpected-ports-open') return 'revoke-world-open';
  return 'rescan';
}

export interface RemediateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** For the table's region (AWS_REGION, AWS_DEFAULT_REGION; else the finding's). */
  env?: NodeJS.ProcessEnv;
}

const lines = (items: readonly string[]) => items.map((c) => `  - ${printable(c)}\n`).join('');

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
        io.stderr(
          `influxguard: refused: the finding is in account ${target.accountId}; these credentials are ${printable(who.Account ?? '?')}'s\n`,
        );
        return 1;
      }
      caller = printable(who.Arn ?? who.Account ?? 'unknown');
    } catch (err) {
      throw toAwsCallError('sts', 'GetCallerIdentity', err);
    }
    const action = actionFor(target.checkId);
    const tableRegion = io.env?.AWS_REGION || io.env?.AWS_DEFAULT_REGION || region;
    const store = config.app.tableName
      ? new ScanStore(clients.dynamodb(tableRegion), config.app.tableName, config.app.scanTtlDays)
      : undefined;
    io.stdout(`finding: ${printable(findingId)}\naction:  ${ACTIONS[action].name}\n`);
    const showPlan = (plan: Plan) => {
      if (plan.refused) return;
      const rescanWhat = plan.rescan.wholeRegion
        ? `${target.accountId}/${region}`
        : [...plan.rescan.instanceIds, ...(plan.rescan.serviceArns ?? [])].join(', ');
      io.stdout(`planned:\n${lines([...plan.changes, `rescan ${rescanWhat} and publish`])}`);
      if (plan.notes.length) io.stdout(`note:\n${lines(plan.notes)}`);
    };
    const out = await remediate(action, finding, {
      ec2: clients.ec2(region),
      ecs: () => clients.ecs(region),
      securityhub,
      apply,
      requestedBy: caller,
      selectors: config.tagSelectors,
      showOnly: true,
      ...(store ? { store } : {}),
      onPlan: showPlan,
      // Printed the moment it is made: whatever fails later, stdout already says what changed.
      onChange: (c) => io.stdout(`changed: ${printable(c)}\n`),
      rescan: async (r) => {
        const regional: Config = { ...config, regions: [region], publish: { ...config.publish, enabled: true } };
        const result = await scan(regional, {
          clients,
          homeRegion: region,
          // An ECS service is listed by the unit that runs the region checks (its kind is listed region-whole): a scan
          // of no instance with them, as an event's rescan of a service is.
          ...(r.wholeRegion
            ? {}
            : {
                unit: {
                  instanceIds: r.instanceIds,
                  knownInstanceIds: r.instanceIds,
                  regionChecks: (r.serviceArns ?? []).length > 0,
                  regionComplete: false,
                },
              }),
        });
        const report = await publishSecurityHub(result, regional, {
          clients,
          goneInstances: (_account, rg, ids) => goneInstances(clients.ec2(rg), ids),
        });
        const sh = report.securityHub;
        io.stdout(`rescanned: ${sh.imported} finding(s) imported, ${sh.resolved} resolved\n`);
        // The rescan is what resolves the finding: findings it could not publish make it a failed step.
        if (sh.failed.length)
          throw new Error(
            `${sh.failed.length} finding(s) not published (${printable(sh.failed[0]!.reason).slice(0, 200)}); run influxguard scan --publish`,
          );
      },
    });
    if (out.gone.length) io.stdout(`already gone (not changed by this run):\n${lines(out.gone)}`);
    if (out.status === 'refused') {
      io.stderr(`influxguard: refused: ${printable(out.refused ?? '')}\n`);
      if (out.failed.length) io.stderr(`influxguard: also: ${printable(out.failed.join('; '))}\n`);
      return 1;
    }
    if (out.status === 'planned') {
      io.stdout('dry run: nothing changed; re-run with --apply to make these changes\n');
      return 0;
    }
    if (out.status === 'partial') {
      io.stdout(`PARTIAL: changed:\n${lines(out.changed)}but:\n${lines(out.failed)}finish by hand what failed (CHECKS.md exit 3)\n`);
      io.stderr(`influxguard: changed ${out.changed.length} rule(s)/setting(s), but ${printable(out.failed.join('; '))}\n`);
      return 3;
    }
    io.stdout(`done; noted on the finding: ${printable(out.note ?? '')}\n`);
    return 0;
  } finally {
    clients.destroy();
  }
}
