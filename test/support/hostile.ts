/** Shared by the tests of hostile InfluxDB imitations on loopback (the probe and the credentialed audit). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config.js';
import { certificates } from '../../scripts/influxd.js';

/** Probes and audits allowed to loopback only, the test CA as the operator CA (probe and audit), short timeouts. */
export const loopbackConfig = (responseTimeoutMs = 1500) =>
  parseConfig({
    probe: {
      allowedCidrs: ['127.0.0.0/8'],
      connectTimeoutMs: 1000,
      tlsTimeoutMs: 1000,
      responseTimeoutMs,
      caFiles: [join(certificates(), 'ca.pem')],
    },
    audit: { ca: readFileSync(join(certificates(), 'ca.pem'), 'utf8') },
  });

/** C0 (but tab and newline in the table's layout), DEL and C1 controls, bidi overrides: none may reach an output raw. */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
