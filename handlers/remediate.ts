/**
 * EventBridge "Security Hub Findings - Custom Action" → remediate the selected
 * influxguard findings (lib/app/remediate.ts). Dry run unless the stack's
 * remediationApply parameter is true. Findings of other accounts (an
 * aggregating administrator account) are refused: this function's role acts
 * only in its own account.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import { ACTIONS, remediate, type Action } from '../lib/app/remediate.js';
import { requestRescan } from '../lib/app/rescan.js';
import { appDeps, logErrors, logger, metrics } from '../lib/app/runtime.js';
import { oneLine } from '../lib/errors.js';

const CustomActionSchema = EventBridgeSchema.extend({
  source: z.literal('aws.securityhub'),
  'detail-type': z.literal('Security Hub Findings - Custom Action'),
  detail: z.object({
    actionName: z.string().max(100).optional(),
    findings: z.array(z.record(z.string(), z.unknown())).max(100),
  }),
});

/** The action a custom-action event stands for, from its ActionTarget ARN (…:action/custom/<Id>). */
const actionOf = (resources: string[]): Action | undefined =>
  (Object.keys(ACTIONS) as Action[]).find((a) => resources.some((r) => r.endsWith(`:action/custom/${ACTIONS[a].targetId}`)));

export const handler = middy(async (raw: unknown) => {
  const parsed = CustomActionSchema.safeParse(raw);
  if (!parsed.success) {
    logger.error('not a Security Hub custom action event: ignored', { issue: parsed.error.issues[0]?.message });
    return { remediated: [] };
  }
  const event = parsed.data;
  const action = actionOf(event.resources);
  if (!action) {
    logger.error('custom action of another tool: ignored', { resources: event.resources.slice(0, 3) });
    return { remediated: [] };
  }
  const deps = appDeps();
  // The event names no principal: who clicked is in CloudTrail (securityhub, same time); the event id ties the two.
  const requestedBy = `Security Hub custom action "${ACTIONS[action].name}" (EventBridge event ${event.id}, account ${event.account})`;
  const out = [];
  for (const finding of event.detail.findings as unknown as AwsSecurityFinding[]) {
    const findingId = typeof finding.Id === 'string' ? finding.Id.slice(0, 512) : '?';
    try {
      if (finding.AwsAccountId !== event.account) {
        out.push({ findingId, refused: `a finding of account ${String(finding.AwsAccountId).slice(0, 20)}: remediate in that account` });
        continue;
      }
      const region = typeof finding.Region === 'string' ? finding.Region : event.region;
      const r = await remediate(action, finding, {
        ec2: deps.clients.ec2(region),
        securityhub: await deps.clients.securityHub(event.region),
        apply: deps.config.app.remediationApply,
        requestedBy,
        selectors: deps.config.tagSelectors,
        rescan: (m) => requestRescan(m, deps),
      });
      out.push({
        findingId,
        applied: r.applied,
        changes: r.plan?.changes ?? [],
        rescanRequested: r.rescanRequested,
        ...(r.refused ? { refused: r.refused } : {}),
      });
    } catch (err) {
      out.push({ findingId, error: oneLine(err, 300) });
    }
  }
  for (const r of out) {
    const level = 'error' in r ? 'error' : 'refused' in r ? 'warn' : 'info';
    logger[level]('remediation', { action, requestedBy, dryRun: !deps.config.app.remediationApply, ...r });
    metrics.addMetric(
      `Remediation${'error' in r ? 'Errors' : 'refused' in r ? 'Refused' : 'applied' in r && r.applied ? 'Applied' : 'Planned'}`,
      MetricUnit.Count,
      1,
    );
  }
  if (out.some((r) => 'error' in r)) throw new Error(`remediation failed for ${out.filter((r) => 'error' in r).length} finding(s)`);
  return { remediated: out };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(logErrors());
