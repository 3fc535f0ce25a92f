/**
 * Accepted risks (CHECKS.md "Accepted risks (suppressions)"): the configuration's entries, their validation in the
 * product's words, and the pure matching of findings against them. A matched finding keeps its status and severity
 * and carries `suppression`; the summary counts it apart and `--fail-on` ignores it.
 */
import { z } from 'zod';
import { checkById } from './checks/index.js';
import type { Finding } from './model.js';
import { printable } from './util/text.js';

/** An entry is active at most this long after the day it is read. */
export const MAX_SUPPRESSION_DAYS = 366;
/** `influxguard scan` and the SNS summary name entries expiring within this many days. */
export const EXPIRY_WARNING_DAYS = 14;

const SUBJECT_KEYS = ['instanceId', 'resourceId', 'tag'] as const;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a moment, UTC. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);
const isDate = (s: string) => DATE_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && utcDay(new Date(`${s}T00:00:00Z`)) === s;
const addDays = (day: string, n: number) => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));

/**
 * Loose field types, then one check per entry (superRefine) that says what is wrong in the product's words
 * ("unknown check id", "names no subject"): zod's own messages would name paths, not the operator's mistake.
 * A function that builds the schema: lib/config.ts builds it once, on first use.
 */
export const suppressionSchema = () =>
  z
    .strictObject({
      checkId: z.string().max(128).optional(),
      instanceId: z.string().max(256).optional(),
      resourceId: z.string().max(2048).optional(),
      tag: z.string().max(512).optional(),
      accountId: z
        .string()
        .regex(/^\d{12}$/, { message: 'is not an account id' })
        .optional(),
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { message: 'is not a region name' })
        .optional(),
      reason: z.string().max(512).optional(),
      expires: z.string().max(32).optional(),
    })
    .superRefine((e, ctx) => {
      const problem = (message: string) => ctx.addIssue({ code: 'custom', message, input: e });
      if (e.checkId === undefined || e.checkId === '') problem('names no checkId');
      else if (!checkById(e.checkId)) problem(`unknown check id ${JSON.stringify(e.checkId)}`);
      const subjects = SUBJECT_KEYS.filter((k) => e[k] !== undefined);
      if (subjects.length === 0) problem('names no subject (instanceId, resourceId or tag)');
      else if (subjects.length > 1) problem(`names more than one subject (${subjects.join(', ')}): give exactly one`);
      for (const k of subjects) if (!e[k]!.trim()) problem(`${k} is empty`);
      if (e.tag?.trim() && !/^[^=]+=./.test(e.tag)) problem(`tag ${JSON.stringify(e.tag)} is not KEY=VALUE`);
      if (!e.reason?.trim()) problem('has no reason (a non-empty "reason" is required)');
      const today = utcDay(new Date());
      if (e.expires === undefined) problem('has no expiry (an "expires" date YYYY-MM-DD is required)');
      else if (!isDate(e.expires)) problem(`expires ${JSON.stringify(e.expires)} is not a date YYYY-MM-DD`);
      else if (e.expires > addDays(today, MAX_SUPPRESSION_DAYS))
        problem(`expires ${e.expires} is more than ${MAX_SUPPRESSION_DAYS} days after today (${today})`);
    });
type Entry = z.infer<ReturnType<typeof suppressionSchema>>;

/** A validated entry (the schema guarantees the fields the matching reads). */
export interface Suppression {
  checkId: string;
  instanceId?: string;
  resourceId?: string;
  tag?: string;
  accountId?: string;
  region?: string;
  reason: string;
  expires: string;
}
export const asSuppressions = (entries: readonly Entry[]): Suppression[] => entries as Suppression[];

/** `suppressions[2] (net.unexpected-ports-open, instanceId i-0abc)`: an entry as warnings name it. */
export function entryName(s: Suppression, index: number): string {
  const key = SUBJECT_KEYS.find((k) => s[k] !== undefined);
  return `suppressions[${index}] (${s.checkId}${key ? `, ${key} ${s[key]}` : ''})`;
}

export interface SuppressionState {
  /** Entries active today (UTC), with their index in the configuration. */
  active: { entry: Suppression; index: number }[];
  /** Expired entries: ignored, each warned about. */
  expired: { entry: Suppression; index: number }[];
  /** Active entries whose expiry is within EXPIRY_WARNING_DAYS. */
  expiringSoon: { entry: Suppression; index: number }[];
}

/** Which entries are active at `now`: an entry is active through the end of its `expires` day, UTC. */
export function suppressionState(entries: readonly Suppression[], now: Date): SuppressionState {
  const today = utcDay(now);
  const soon = addDays(today, EXPIRY_WARNING_DAYS);
  const indexed = entries.map((entry, index) => ({ entry, index }));
  const active = indexed.filter((e) => e.entry.expires >= today);
  return {
    active,
    expired: indexed.filter((e) => e.entry.expires < today),
    expiringSoon: active.filter((e) => e.entry.expires <= soon),
  };
}

/** The tags of a finding's subject (an instance's, a database's), by the finding's `instanceId`. */
export type TagsOf = (instanceId: string) => Readonly<Record<string, string>> | undefined;

function matches(s: Suppression, f: Finding, tagsOf: TagsOf): boolean {
  if (s.checkId !== f.checkId) return false;
  if (s.accountId !== undefined && s.accountId !== f.accountId) return false;
  if (s.region !== undefined && s.region !== f.region) return false;
  if (s.instanceId !== undefined) return f.instanceId === s.instanceId;
  if (s.resourceId !== undefined) return f.resource.id === s.resourceId;
  if (s.tag === undefined || f.instanceId === undefined) return false;
  const eq = s.tag.indexOf('=');
  return tagsOf(f.instanceId)?.[s.tag.slice(0, eq)] === s.tag.slice(eq + 1);
}

/**
 * Marks each finding an active entry matches (the first matching entry's reason and expiry); returns the indexes of
 * active entries that matched nothing (they only warn). Pure: no clock, no I/O.
 */
export function applySuppressions(findings: Finding[], active: SuppressionState['active'], tagsOf: TagsOf): { unmatched: number[] } {
  const used = new Set<number>();
  if (!active.length) return { unmatched: [] };
  for (const f of findings) {
    const hits = active.filter((a) => matches(a.entry, f, tagsOf));
    const hit = hits[0];
    if (!hit) continue;
    for (const h of hits) used.add(h.index);
    f.suppression = { reason: hit.entry.reason, expires: hit.entry.expires, source: 'config' };
  }
  return { unmatched: active.filter((a) => !used.has(a.index)).map((a) => a.index) };
}

/** What a suppressed finding shows beside it (table, HTML, SNS): `accepted until 2027-03-31: bastion SSH`. */
export const acceptedText = (s: { reason: string; expires: string }): string => printable(`accepted until ${s.expires}: ${s.reason}`); // one line wherever it goes (a YAML reason may span several)

/**
 * The fixed start of the Security Hub note on a finding the scanner suppressed: the lifecycle reopens only findings
 * whose note still starts with it (a person's own note, or their own SUPPRESSED, is left alone).
 */
export const NOTE_PREFIX = 'influxguard: ';
/** Security Hub's Note.Text limit. */
const NOTE_MAX = 512;
export const suppressionNote = (s: { reason: string; expires: string }): string => {
  const text = `${NOTE_PREFIX}${acceptedText(s)}`;
  return text.length > NOTE_MAX ? `${text.slice(0, NOTE_MAX - 1)}…` : text;
};
