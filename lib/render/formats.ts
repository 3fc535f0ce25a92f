/** The output formats of `--format`, and the machine-readable ones rendered here (table: render/table.ts). */
import type { Instance, ScanDocument, TimestreamDb } from '../model.js';
import { toAsff } from '../publish/asff.js';
import { jsonText } from '../util/text.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderOcsf } from './ocsf.js';

export const FORMATS = ['table', 'json', 'asff', 'ocsf', 'csv', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** The format an `--output` file name implies, when `--format` is not given. */
export function formatForFile(path: string): Format | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === 'html' || ext === 'htm' ? 'html' : ext === 'csv' ? 'csv' : ext === 'json' ? 'json' : undefined;
}

/** Every format but the table, as the text to print or write. */
export async function renderDocument(
  fmt: Exclude<Format, 'table'>,
  doc: ScanDocument,
  context: { instances?: readonly Instance[]; databases?: readonly TimestreamDb[] } = {},
): Promise<string> {
  switch (fmt) {
    case 'json':
      return `${jsonText(doc, 2)}\n`;
    case 'asff': {
      const now = doc.finishedAt;
      return `${jsonText({ Findings: doc.findings.filter((f) => f.accountId && f.region).map((f) => toAsff(f, { now })) }, 2)}\n`;
    }
    case 'ocsf':
      return `${jsonText(renderOcsf(doc), 2)}\n`;
    case 'csv':
      return renderCsv(doc);
    case 'html':
      return renderHtml(doc, context);
  }
}
