/**
 * EventBridge "Security Hub Findings - Custom Action" → remediate the selected
 * influxguard findings (lib/app/remediate.ts). Dry run unless the stack's
 * remediationApply parameter is true. Findings of other accounts (an
 * aggregating administrator account) are refused: this function's role acts
 * only in its own account. Each finding's result has a status: `done`,
 * `planned` (dry run), `refused`, `partial` (changed — `changes` lists it —
 * but the note, the record or the rescan failed: `failed` says which), or
 * `error` (nothing changed); each change is logged the moment it is made.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import { ACTIONS, remediate, verifyFinding, type Action } from '../lib/app/remediate.js';
import { requestRescan } from '../lib/app/rescan.js';
import { appDeps, logErrors, logger, metrics } from '../lib/app/runtime.js';
import { oneLine } from '../lib/errors.js';
import { printable } from '../lib/util/text.js';
import { lazy } from '../lib/util/lazy.js';

/** Built on the first event (Powertools' EventBridge schema is loaded then, not at import). */
const customActionSchema = lazy(async () =>
  (await import('@aws-lambda-powertools/parser/schemas/eventbridge')).EventBridgeSchema.extend({
    source: z.literal('aws.securityhub'),
    'detail-type': z.literal('Security Hub Findings - Custom Action'),
    detail: z.object({
      actionName: z.string().max(100).optional(),
      findings: z.array(z.record(z.string(), z.unknown())).max(100),
    }),
  }),
);

/** The action a custom-action event stands for, from its ActionTarget ARN (…:action/custom/<Id>). */
/** Each result status's metric: `partial` (changed, but the note, the record or the rescan failed) has its own. */
const METRIC = {
  done: 'RemediationApplied',
  planned: 'RemediationPlanned',
  refused: 'RemediationRefused',
  partial: 'RemediationPartial',
  error: 'RemediationErrors',
} as const;

const actionOf = (resources: string[]): Action | undefined =>
  (Object.keys(ACTIONS) as Action[]).find((a) => resources.some((r) => r.endsWith(`:action/custom/${ACTIONS[a].targetId}`)));

export const handler = middy(async (raw: unknown) => {
  const parsed = (await customActionSchema()).safeParse(raw);
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
  // Short: it is repeated in each note entry, after the action's name (a note holds 512 characters).
  const requestedBy = printable(`Security Hub custom action (EventBridge event ${event.id}, account ${event.account})`).slice(0, 200);
  const out: Record<string, unknown>[] = [];
  const dryRun = !deps.config.app.remediationApply;
  for (const finding of event.detail.findings as unknown as AwsSecurityFinding[]) {
    const findingId = typeof finding.Id === 'string' ? printable(finding.Id).slice(0, 512) : '?';
    const changed: string[] = [];
    try {
      if (finding.AwsAccountId !== event.account) {
        out.push({
          findingId,
          status: 'refused',
          refused: `a finding of account ${printable(String(finding.AwsAccountId)).slice(0, 20)}: remediate in that account`,
        });
        continue;
      }
      const target = verifyFinding(finding);
      if ('refused' in target) {
        out.push({ findingId, status: 'refused', refused: target.refused });
        continue;
      }
      const r = await remediate(action, finding, {
        // The finding's own region (verified against its Id), never the event's.
        ec2: deps.clients.ec2(target.region),
        ecs: () => deps.clients.ecs(target.region),
        securityhub: await deps.clients.securityHub(event.region),
        apply: deps.config.app.remediationApply,
        requestedBy,
        selectors: deps.config.tagSelectors,
        store: deps.store,
        rescan: (m) => requestRescan(m, deps),
        // Logged the moment it is made: whatever fails later, the log already says what changed.
        onChange: (change) => {
          changed.push(change);
          logger.info('remediation change made', { action, requestedBy, findingId, change });
        },
      });
      out.push({
        findingId,
        status: r.status,
        applied: r.applied,
        changes: r.changed.length ? r.changed : (r.plan?.changes ?? []),
        ...(r.plan?.notes.length ? { notes: r.plan.notes } : {}),
        ...(r.gone.length ? { alreadyGone: r.gone } : {}),
        rescanRequested: r.rescanRequested,
        ...(r.failed.length ? { failed: r.failed } : {}),
        ...(r.refused ? { refused: r.refused } : {}),
      });
    } catch (err) {
      // A change already made is still listed (status partial), never lost in an error.
      out.push(
        changed.length
          ? { findingId, status: 'partial', applied: true, changes: changed, failed: [oneLine(err, 300)], rescanRequested: false }
          : { findingId, status: 'error', error: oneLine(err, 300) },
      );
    }
  }
  for (const r of out) {
    const level = r.status === 'error' || r.status === 'partial' ? 'error' : r.status === 'refused' ? 'warn' : 'info';
    logger[level]('remediation', { action, requestedBy, dryRun, ...r });
    metrics.addMetric(METRIC[r.status as keyof typeof METRIC] ?? 'RemediationErrors', MetricUnit.Count, 1);
  }
  // Only a failure before any change is retried (the whole action is re-read then); a partial one is reported as such.
  const errors = out.filter((r) => r.status === 'error').length;
  if (errors) throw new Error(`remediation failed for ${errors} finding(s)`);
  return { remediated: out };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(logErrors());
