/** User data decoding (base64, gzip, MIME multipart) and what leaves it: names and line numbers, never a value. */
import { describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { credentialSightings } from '../../lib/util/credentials.js';
import { decodeUserData, USER_DATA_MAX_BYTES, USER_DATA_MAX_TEXT, userDataVerdict } from '../../lib/util/user-data.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('credentialSightings', () => {
  it('finds assignments, influx CLI options and CREATE USER, by name and 1-based line', () => {
    const text = [
      '#!/bin/bash',
      'export INFLUXDB_ADMIN_PASSWORD="s3cret"',
      'docker run -e DOCKER_INFLUXDB_INIT_ADMIN_TOKEN=abc -e INFLUXD_BOLT_PATH=/x influxdb:2.7',
      'influx setup --username admin --password=hunter2 --org o --bucket b --force',
      "influx -username admin -password 'pw' -execute \"CREATE USER bob WITH PASSWORD 'bobpw'\"",
      '  INFLUXDB3_AUTH_TOKEN: apiv3_xyz',
      'influx auth create --token tok \\',
      '  --all-access',
      'AWS_SECRET_ACCESS_KEY=wJalr',
      'Environment="INFLUX_TOKEN=abc"',
    ].join('\n');
    expect(credentialSightings(text)).toEqual([
      { name: 'INFLUXDB_ADMIN_PASSWORD', line: 2 },
      { name: 'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN', line: 3 },
      { name: 'influx --password', line: 4 },
      { name: 'influx -password', line: 5 },
      { name: 'CREATE USER … WITH PASSWORD', line: 5 },
      { name: 'INFLUXDB3_AUTH_TOKEN', line: 6 },
      { name: 'influx --token', line: 7 },
      { name: 'AWS_SECRET_ACCESS_KEY', line: 9 },
      { name: 'INFLUX_TOKEN', line: 10 },
    ]);
  });
  it('not a credential: empty values, *_FILE paths, shell references, influxd, other commands', () => {
    const text = [
      'INFLUXDB_ADMIN_PASSWORD=',
      "INFLUX_PASSWORD=''",
      'DOCKER_INFLUXDB_INIT_PASSWORD_FILE=/run/secrets/pw',
      'export INFLUX_TOKEN=$TOKEN',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell references, not templates
      'INFLUXDB_HTTP_SHARED_SECRET="${SECRET}"',
      'INFLUX_TOKEN=$(cat /run/token)',
      'INFLUX_TOKEN=`cat /run/token`',
      'influx setup -u admin -p "$PW" -f',
      'influxd --http-bind-address :8086 -p 5',
      'ssh -p 22 host',
      'MY_PASSWORD=x',
      'echo $INFLUX_TOKEN=abc',
      'CREATE USER a WITH PASSWORD $PW',
    ].join('\n');
    expect(credentialSightings(text)).toEqual([]);
  });
});

describe('userDataVerdict', () => {
  const secret = 'Planted-9f8e7d';
  it('plain, gzip+base64 and MIME multipart (base64 and gzip parts): names, lines, parts, never the value', () => {
    expect(userDataVerdict(b64(`#!/bin/sh\nINFLUX_PASSWORD=${secret}\n`))).toEqual({
      empty: false,
      sightings: [{ name: 'INFLUX_PASSWORD', line: 2 }],
    });
    expect(userDataVerdict(b64(gzipSync(`\n\ninflux setup -p ${secret}`))).sightings).toEqual([{ name: 'influx -p', line: 3 }]);
    const mime = [
      'Content-Type: multipart/mixed; boundary=XX',
      'MIME-Version: 1.0',
      '',
      '--XX',
      'Content-Type: text/x-shellscript',
      'Content-Transfer-Encoding: base64',
      '',
      b64(`#!/bin/sh\nINFLUX_TOKEN=${secret}`),
      '--XX',
      'Content-Type: application/x-gzip',
      'Content-Transfer-Encoding: base64',
      '',
      b64(gzipSync(`#cloud-config\nruncmd:\n  - [sh, -c, "INFLUXDB_ADMIN_PASSWORD=${secret} setup.sh"]`)),
      '--XX--',
      'epilogue INFLUX_TOKEN=ignored? no: read as part of nothing',
    ].join('\r\n');
    const v = userDataVerdict(b64(mime));
    expect(v.sightings).toEqual([
      { name: 'INFLUX_TOKEN', line: 2, part: 1 },
      { name: 'INFLUXDB_ADMIN_PASSWORD', line: 3, part: 2 },
    ]);
    expect(JSON.stringify(v)).not.toContain(secret);
  });
  it('empty and absent user data', () => {
    expect(userDataVerdict(undefined)).toEqual({ empty: true, sightings: [] });
    expect(userDataVerdict('')).toEqual({ empty: true, sightings: [] });
  });
  it('bounded: user data past 16 KiB is cut, a gzip bomb is not inflated past the bound', () => {
    const big = decodeUserData(b64(`${'#'.repeat(USER_DATA_MAX_BYTES + 10)}\nINFLUX_TOKEN=x`));
    expect(big.truncated).toBe(true);
    expect(big.parts[0]!.length).toBeLessThanOrEqual(USER_DATA_MAX_BYTES);
    const bomb = decodeUserData(b64(gzipSync(Buffer.alloc(USER_DATA_MAX_TEXT * 2, 0x41))));
    expect(bomb).toEqual({ parts: [''], truncated: true });
    expect(userDataVerdict(b64(gzipSync(Buffer.alloc(USER_DATA_MAX_TEXT * 2, 0x41))))).toMatchObject({ truncated: true });
  });
  it('hostile MIME: no boundary, or nesting past the depth bound, is read as plain text', () => {
    expect(decodeUserData(b64('Content-Type: multipart/mixed\n\nINFLUX_TOKEN=a')).parts).toHaveLength(1);
    let nested = 'INFLUX_TOKEN=deep';
    for (let i = 0; i < 6; i++) nested = `Content-Type: multipart/mixed; boundary=B${i}\n\n--B${i}\n${nested}\n--B${i}--\n`;
    expect(() => decodeUserData(b64(nested))).not.toThrow();
  });
});
