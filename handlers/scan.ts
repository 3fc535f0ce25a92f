/**
 * Scheduled (EventBridge) or direct invocation: scan the function's own
 * account and return the CHECKS.md document. Thin: configuration from the
 * environment, the engine in lib/. The serverless application issue adds
 * dispatch/worker/api handlers, middy, Powertools and publishing.
 */
import { createClients } from '../lib/aws/clients.js';
import { loadConfig } from '../lib/config.js';
import { configError } from '../lib/errors.js';
import type { ScanDocument } from '../lib/model.js';
import { scan } from '../lib/scan.js';

/** A direct invocation may narrow the regions; a scheduled event carries nothing we read. */
export interface ScanEvent {
  regions?: unknown;
}

export function regionsFrom(event: ScanEvent | null | undefined): string[] | undefined {
  const regions = event?.regions;
  if (regions === undefined) return undefined;
  if (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string')) throw configError('event.regions must be an array of region names');
  return regions;
}

export const handler = async (event?: ScanEvent): Promise<ScanDocument> => {
  const regions = regionsFrom(event);
  const config = loadConfig({ env: process.env, ...(regions ? { overrides: { regions } } : {}) });
  const homeRegion = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!homeRegion) throw configError('AWS_REGION is not set');
  const clients = createClients({ aws: config.aws });
  try {
    return (await scan(config, { clients, homeRegion })).document;
  } finally {
    clients.destroy();
  }
};
