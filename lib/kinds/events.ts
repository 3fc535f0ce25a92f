/**
 * What a kind gives event-driven rescans (docs/adding-a-resource-kind.md, lib/app/events.ts and lib/app/rescan.ts
 * loop over it): which CloudTrail records name its subjects and how a record maps to their ids, how its selected
 * subjects look to a change (groups, VPC, subnets, interfaces, addresses), which changes touch them, and its key in
 * the pending changes. Pure apart from the types: the mapping of a record is data in, ids out.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import SOURCES from './cloudtrail-events.json' with { type: 'json' };
import { lazy } from '../util/lazy.js';

/**
 * The CloudTrail events the rules match, by event source: the one list that serverless/events.cjs builds the
 * EventBridge pattern from (the scanner's rule and the member accounts' forwarding rule), that the kinds
 * (lib/kinds/<kind>/events.ts) and the shared network mapping (lib/app/events.ts) map.
 */
export const CHANGE_EVENTS: Readonly<Record<string, { source: string; events: readonly string[] }>> = SOURCES;

/** The listed events of one event source (none when the source is not listed). */
export const eventsOf = (eventSource: string): readonly string[] => CHANGE_EVENTS[eventSource]?.events ?? [];

/** A selected resource as the mapping sees it: what a change can name or touch. */
export interface Selected {
  /** Its kind's registered name. */
  kind: string;
  id: string;
  securityGroupIds: readonly string[];
  vpcId?: string;
  subnetIds: readonly string[];
  networkInterfaceIds: readonly string[];
  /** Where a load balancer's `ip` targets point. */
  privateIps: readonly string[];
}

/** The network things a change names, shared by every kind (lib/app/events.ts maps the EC2 network events). */
export interface NetworkNamed {
  groupIds: string[];
  networkInterfaceIds: string[];
  vpcIds: string[];
  subnetIds: string[];
  /** Named by id only: their VPC is looked up (DescribeRouteTables / DescribeNetworkAcls) before the change is noted. */
  routeTableIds: string[];
  routeTableAssociationIds: string[];
  networkAclIds: string[];
}

/** The part of a CloudTrail record the mappings read (lib/app/events.ts validates and bounds it first). */
export interface ChangeRecord {
  eventSource: string;
  eventName: string;
  requestParameters: Record<string, unknown>;
  responseElements: Record<string, unknown>;
}

/**
 * What one record names of a kind: its subjects' ids, what else it names (the network interface of an
 * `AssociateAddress`), and why it is region-wide when it names nothing narrower.
 */
export interface RecordNamed {
  ids: string[];
  also?: Partial<NetworkNamed>;
  why?: string;
}

/**
 * A kind's key in the pending changes of an account × region (lib/app/store.ts): the field of the change and the
 * DynamoDB attribute its ids are kept in. The attributes are those the deployed version writes (`ids`, `dbs`), so
 * its items are still read.
 */
export type PendingKey = 'instanceIds' | 'databaseIds' | 'serviceArns';
/** The ids of each kind in the pending changes (and in what a change noted), by the kind's key. */
export type PendingIds = Record<PendingKey, string[]>;

export interface KindEvents<S> {
  /** What the logs call its subjects when they cannot be listed. */
  noun: string;
  /**
   * The ids of its subjects a record names (`*`: one it changed without a readable id); undefined when the record is
   * not one of its events or cannot change what is judged of it (a tag key nobody selects on). `watched`: whether a
   * tag key can change what is selected or how it is judged.
   */
  named: (r: ChangeRecord, watched: (key: string) => boolean) => RecordNamed | undefined;
  /** Whether a change (its named ids of this kind, and the network things) can touch a selected subject: then it is listed. */
  touchedBy: (ids: readonly string[], net: NetworkNamed) => boolean;
  /**
   * `listed`: named ids are rescanned only when the listing selects them; `asNamed`: as named, without a listing
   * (a kind listed region-whole, whose scan finds them or learns they are gone).
   */
  namedIds: 'listed' | 'asNamed';
  /** Whether an internet-facing load balancer's targets (by id or private address) can be its subjects. */
  behindBalancers: boolean;
  /** The subject as a change sees it (its kind is filled in by the registry). */
  selected: (s: S) => Omit<Selected, 'kind'>;
  pending: { key: PendingKey; attribute: string };
}

/** Tag keys whose change can change what is selected or how it is judged (selectors, role, cluster, `influxdb:*`). */
export function watchedTagKeys(config: Pick<Config, 'tagSelectors' | 'roleTagKey' | 'clusterTagKey'>): (key: string) => boolean {
  const keys = new Set([...config.tagSelectors.map((s) => s.key), config.roleTagKey, config.clusterTagKey]);
  return (key) => keys.has(key) || key.startsWith('influxdb:');
}

const ID = lazy(() => z.string().max(64));

/** The string `key` of each item of a CloudTrail `{ items: [...] }` list (bounded ids only). */
export const itemsOf = (v: unknown, key: string): string[] => {
  const items = (v as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return items.flatMap((i) => {
    const s = (i as Record<string, unknown> | undefined)?.[key];
    return typeof s === 'string' && ID().safeParse(s).success ? [s] : [];
  });
};

/** The value as a one-element list when it is a bounded string of the form `re`, else none. */
export const str = (v: unknown, re: RegExp): string[] => (typeof v === 'string' && v.length <= 64 && re.test(v) ? [v] : []);

/** The value as a record (anything else: an empty one). */
export const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
