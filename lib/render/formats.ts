/** The output formats of `--format`, and the machine-readable ones rendered here (table: render/table.ts). */
import type { ScanDocument, SubjectRef } from '../model.js';
import { toAsff } from '../findings/asff.js';
import { jsonPieces, jsonText } from '../util/text.js';
import { renderCsv } from './csv.js';
import { renderOcsf } from './ocsf.js';

export const FORMATS = ['table', 'json', 'asff', 'ocsf', 'csv', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** The format an `--output` file name implies, when `--format` is not given. */
export function formatForFile(path: string): Format | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === 'html' || ext === 'htm' ? 'html' : ext === 'csv' ? 'csv' : ext === 'json' ? 'json' : undefined;
}

/**
 * Every format but the table, as pieces of the text to print or write: JSON and ASFF come in pieces
 * (jsonPieces), never the whole text of a fleet's findings at once.
 */
export async function renderDocument(
  fmt: Exclude<Format, 'table'>,
  doc: ScanDocument,
  context: { subjects?: readonly SubjectRef[]; command?: 'scan' | 'probe' } = {},
): Promise<Iterable<string>> {
  switch (fmt) {
    case 'json':
      return withNewline(jsonPieces(doc as unknown as Record<string, unknown>, 'findings', doc.findings));
    case 'asff': {
      const now = doc.finishedAt;
      const findings = (function* () {
        for (const f of doc.findings) if (f.accountId && f.region) yield toAsff(f, { now });
      })();
      return withNewline(jsonPieces({ Findings: [] }, 'Findings', findings));
    }
    case 'ocsf':
      return [`${jsonText(renderOcsf(doc), 2)}\n`];
    case 'csv':
      return [renderCsv(doc)];
    case 'html':
      // The report's charts (Vega-Lite) are loaded only for this format.
      return [await (await import('./html.js')).renderHtml(doc, context)];
  }
}

function* withNewline(pieces: Iterable<string>): Generator<string> {
  yield* pieces;
  yield '\n';
}
