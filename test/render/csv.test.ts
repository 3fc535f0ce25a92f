/** `--format csv`: RFC 4180 as Python's csv module reads it, documented columns, no formula a spreadsheet would run. */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { documentFindingId } from '../../lib/findings/asff.js';
import { CSV_COLUMNS, renderCsv, safeCell } from '../../lib/render/csv.js';
import { HOSTILE, reportDocument } from '../support/report-doc.js';

/** Parsed by an implementation nobody here wrote. */
const parse = (csv: string): string[][] =>
  JSON.parse(
    execFileSync(
      'python3',
      ['-c', 'import csv,io,json,sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline="")))))'],
      { input: csv, encoding: 'utf8' },
    ),
  );

const { doc } = reportDocument();

describe('CSV output', () => {
  const rows = parse(renderCsv(doc));

  it('has a header with the documented columns and one row per finding', () => {
    const names = CSV_COLUMNS.map(([n]) => n);
    expect(rows[0]).toEqual(names);
    const usage = readFileSync(new URL('../../docs/usage-and-outputs.md', import.meta.url), 'utf8');
    for (const n of names) expect(usage).toContain(`\`${n}\``);
    expect(rows.length).toBe(doc.findings.length + 1);
    doc.findings.forEach((f, i) => {
      const row = Object.fromEntries(names.map((n, k) => [n, rows[i + 1]![k]!]));
      expect(row).toMatchObject({ finding_id: documentFindingId(f), check_id: f.checkId, status: f.status, severity: f.severity });
      expect(JSON.parse(row.evidence_json!.replace(/^'/, ''))).toBeDefined();
    });
  });

  it('quotes commas, quotes and newlines, and defuses formulas in hostile text', () => {
    const cert = rows.find((r) => r[1] === 'tls.certificate-invalid' && r[2] === 'FAILED' && r[10])!;
    expect(cert[11]).toBe(`'${HOSTILE.summary}`);
    expect(cert[12]!.startsWith("'@SUM")).toBe(true);
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@]/);
    expect(safeCell('-2+3')).toBe("'-2+3");
    expect(safeCell('a\x1b[2Jb')).toBe('a[2Jb');
    expect(safeCell('plain, "quoted"')).toBe('plain, "quoted"');
  });
});
