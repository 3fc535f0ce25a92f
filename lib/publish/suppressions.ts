/**
 * Accepted risks in Security Hub (CHECKS.md "Accepted risks (suppressions)"): after the import, BatchUpdateFindings
 * sets `SUPPRESSED` with the scanner's note on the findings an active entry matches, and, when an entry has expired
 * or was removed, `NEW` (FAILED, WARNING, NOT_AVAILABLE) or `RESOLVED` (PASSED) — only on findings the record says
 * the scanner suppressed and whose note still starts with the scanner's suppression note. A workflow a person set
 * (SUPPRESSED with their own note, or after the scanner reopened it) is never touched. UnprocessedFindings are failures.
 */
import { BatchUpdateFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { errorCode, oneLine } from '../errors.js';
import { HeldFinding, findingId, productArn } from '../findings/asff.js';
import type { Finding } from '../model.js';
import { NOTE_PREFIX, suppressionNote } from '../suppress.js';
import { chunk } from '../util/concurrency.js';
import { printable } from '../util/text.js';
import type { Held } from './lifecycle.js';

/** How the scanner's suppression note starts (suppressionNote): only such a note lets it reopen a finding. */
export const SUPPRESSED_NOTE_START = `${NOTE_PREFIX}accepted until `;
/** The note left on a finding the scanner reopened (no longer its suppression note: a person's later SUPPRESSED stays). */
export const REOPENED_NOTE = `${NOTE_PREFIX}accepted risk ended (its suppression expired or was removed): reopened`;
/** BatchUpdateFindings takes at most 100 identifiers. */
const UPDATE_MAX = 100;

/** The durable record of what the scanner suppressed, per account × region (the stack's table, lib/app/store.ts). */
export interface SuppressionRecord {
  readSuppressed(accountId: string, region: string): Promise<Set<string>>;
  writeSuppressed(accountId: string, region: string, ids: ReadonlySet<string>): Promise<void>;
}

export interface SuppressionOutcome {
  suppressed: number;
  reopened: number;
  failed: { id: string; reason: string }[];
}

/** The workflow and note Security Hub holds for a finding (none for a finding this scan imported first). */
function stateOf(h: Held | undefined): { workflow?: string; note?: string } {
  if (!h) return {};
  if (h instanceof HeldFinding) return { ...(h.workflow ? { workflow: h.workflow } : {}), ...(h.note ? { note: h.note } : {}) };
  return { ...(h.Workflow?.Status ? { workflow: h.Workflow.Status } : {}), ...(h.Note?.Text ? { note: h.Note.Text } : {}) };
}

/**
 * One account × region, after its import. `record` absent (a CLI publish without the stack's table): the note alone
 * says what the scanner suppressed. `skip`: findings not imported (they are not in Security Hub to update).
 */
export async function syncSuppressions(
  client: SecurityHubClient,
  findings: readonly Finding[],
  held: ReadonlyMap<string, Held>,
  scope: { accountId: string; region: string; record?: SuppressionRecord; skip: ReadonlySet<string> },
): Promise<SuppressionOutcome> {
  const out: SuppressionOutcome = { suppressed: 0, reopened: 0, failed: [] };
  const recorded = scope.record ? await scope.record.readSuppressed(scope.accountId, scope.region) : undefined;
  const next = new Set(recorded ?? []);
  /** Updates grouped by (workflow, note): one BatchUpdateFindings carries one of each. */
  const updates = new Map<string, { workflow: 'SUPPRESSED' | 'NEW' | 'RESOLVED'; note: string; ids: string[] }>();
  const add = (workflow: 'SUPPRESSED' | 'NEW' | 'RESOLVED', note: string, id: string) => {
    const key = `${workflow}\u0000${note}`;
    const u = updates.get(key) ?? { workflow, note, ids: [] };
    u.ids.push(id);
    updates.set(key, u);
  };
  for (const f of findings) {
    const id = findingId(f);
    if (scope.skip.has(id)) continue;
    const { workflow, note } = stateOf(held.get(id));
    const ours = note?.startsWith(SUPPRESSED_NOTE_START) === true;
    if (f.suppression) {
      // A person's own SUPPRESSED (their note) is theirs: the scanner neither overwrites nor records it.
      if (workflow === 'SUPPRESSED' && !ours) continue;
      const text = suppressionNote(f.suppression);
      next.add(id);
      if (workflow !== 'SUPPRESSED' || note !== text) add('SUPPRESSED', text, id);
      continue;
    }
    if (recorded && !recorded.has(id)) continue;
    next.delete(id);
    if (workflow === 'SUPPRESSED' && ours) add(f.status === 'PASSED' ? 'RESOLVED' : 'NEW', REOPENED_NOTE, id);
  }
  for (const u of updates.values()) {
    for (const ids of chunk(u.ids, UPDATE_MAX)) {
      const done = await batchUpdate(client, scope, u.workflow, u.note, ids);
      out.failed.push(...done.failed);
      const n = ids.length - done.failed.length;
      if (u.workflow === 'SUPPRESSED') out.suppressed += n;
      else out.reopened += n;
      // A reopening that failed stays recorded: the next scan tries again. A suppression that failed is not recorded.
      for (const f of done.failed) {
        if (u.workflow === 'SUPPRESSED') next.delete(f.id);
        else next.add(f.id);
      }
    }
  }
  const changed = !recorded || recorded.size !== next.size || [...next].some((id) => !recorded.has(id));
  if (scope.record && changed) await scope.record.writeSuppressed(scope.accountId, scope.region, next);
  return out;
}

async function batchUpdate(
  client: SecurityHubClient,
  scope: { accountId: string; region: string },
  workflow: string,
  note: string,
  ids: string[],
): Promise<{ failed: { id: string; reason: string }[] }> {
  const ProductArn = productArn(scope.region, scope.accountId);
  try {
    const res = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: ids.map((Id) => ({ Id, ProductArn })),
        Workflow: { Status: workflow as 'SUPPRESSED' },
        Note: { Text: note, UpdatedBy: 'influxguard' },
      }),
    );
    return {
      failed: (res.UnprocessedFindings ?? []).map((u) => ({
        id: u.FindingIdentifier?.Id ?? '?',
        reason: printable(
          `securityhub:BatchUpdateFindings did not process it (${u.ErrorCode ?? 'no code'}: ${u.ErrorMessage ?? ''})`,
        ).slice(0, 300),
      })),
    };
  } catch (err) {
    const reason = `securityhub:BatchUpdateFindings failed: ${errorCode(err)}: ${oneLine(err, 200)}`;
    return { failed: ids.map((id) => ({ id, reason })) };
  }
}
