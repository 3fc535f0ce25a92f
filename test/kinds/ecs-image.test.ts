/** Which container images are InfluxDB servers, and which major and version their tag names (lib/kinds/ecs-service/image.ts). */
import { describe, expect, it } from '@jest/globals';
import { influxImage, parseImage } from '../../lib/kinds/ecs-service/image.js';
import { imageVersionOutcome } from '../../lib/checks/ecs.js';
import { VERSION_KNOWLEDGE } from '../../lib/checks/host.js';
import type { EcsEvidence } from '../../lib/model.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const major = (ref: string) => influxImage(ref)?.major ?? (influxImage(ref) ? 'unknown' : 'not a server');

describe('influxImage', () => {
  it('recognises the server repositories under any registry, namespace or ECR mirror', () => {
    for (const ref of [
      'influxdb:1.8',
      'influxdb',
      'docker.io/library/influxdb:2.7',
      'library/influxdb:2.7.12-alpine',
      'quay.io/influxdb/influxdb3-core:3.6',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/influxdb:2.7.12',
      'registry.example.com:5000/team/infra/influxdb3-enterprise:latest',
      'localhost/influxdb:1.11',
      `influxdb@${DIGEST}`,
      `ghcr.io/acme/influxdb:1.8@${DIGEST}`,
    ])
      expect({ ref, server: influxImage(ref) !== undefined }).toEqual({ ref, server: true });
  });

  it('clients and look-alikes are not servers', () => {
    for (const ref of [
      'telegraf:1.30',
      'chronograf:1.10',
      'influxdb-client:latest',
      'acme/influxdb-client-python:1',
      'grafana/grafana:11.0.0',
      'kapacitor:1.7',
      'influxdb/telegraf:1.30',
      'myinfluxdb:2.7',
      'influxdb-exporter:latest',
    ])
      expect({ ref, server: influxImage(ref) !== undefined }).toEqual({ ref, server: false });
  });

  it('the major from the repository or the tag; latest, a variant alone or a digest alone leave it unknown', () => {
    expect(major('influxdb:1.8')).toBe(1);
    expect(major('influxdb:1')).toBe(1);
    expect(major('influxdb:1.11.8-alpine')).toBe(1);
    expect(major('influxdb:1.11-data')).toBe(1);
    expect(major('influxdb:2.7.12')).toBe(2);
    expect(major('influxdb:2')).toBe(2);
    expect(major('influxdb:3-core')).toBe(3);
    expect(major('influxdb:3.6-enterprise')).toBe(3);
    expect(major('influxdb:core')).toBe(3);
    expect(major('influxdb3-core:latest')).toBe(3);
    expect(major('quay.io/influxdb/influxdb3-enterprise')).toBe(3);
    expect(major('influxdb:latest')).toBe('unknown');
    expect(major('influxdb:alpine')).toBe('unknown');
    expect(major('influxdb')).toBe('unknown');
    expect(major(`influxdb@${DIGEST}`)).toBe('unknown');
  });

  it('the version a tag states, in full or only its line', () => {
    expect(influxImage('influxdb:1.8.10')?.version).toEqual({ parts: [1, 8, 10], full: true });
    expect(influxImage('influxdb:2.7.12-alpine')?.version).toEqual({ parts: [2, 7, 12], full: true });
    expect(influxImage('influxdb:1.8')?.version).toEqual({ parts: [1, 8], full: false });
    expect(influxImage('influxdb:2')?.version).toEqual({ parts: [2], full: false });
    expect(influxImage('influxdb:latest')?.version).toBeUndefined();
    expect(influxImage(`influxdb@${DIGEST}`)?.version).toBeUndefined();
  });

  it('keeps tag and digest apart from a registry port', () => {
    expect(parseImage(`registry:5000/influxdb:2.7@${DIGEST}`)).toEqual({ path: 'influxdb', tag: '2.7', digest: DIGEST });
    expect(parseImage('registry:5000/team/influxdb')).toEqual({ path: 'team/influxdb' });
  });

  it('refuses malformed or hostile references (bounded, no spaces, the reference grammar)', () => {
    for (const ref of [
      '',
      ' influxdb',
      'influxdb:1.8 && curl x',
      'Influxdb:1.8',
      'influxdb:',
      'influxdb@sha256:xyz',
      `${'a/'.repeat(600)}influxdb`,
      'influxdb:-x',
    ])
      expect({ ref, parsed: influxImage(ref) }).toEqual({ ref, parsed: undefined });
  });
});

describe('host.version-vulnerable from an image tag (CHECKS.md "InfluxDB on Amazon ECS")', () => {
  const verdict = (image: string) => {
    const container = {
      name: 'influxdb',
      image,
      influx: influxImage(image)!,
      environment: [],
      secrets: [],
      portMappings: [],
      mountPoints: [],
    };
    const e = { containers: [{ taskDefinition: { arn: 'arn:td:1' }, container }], unreadable: [] } as unknown as EcsEvidence;
    return imageVersionOutcome(e, VERSION_KNOWLEDGE, (v) => [{ status: 'FAILED', summary: v }])[0]!.status;
  };
  it('a line entirely end-of-life fails; a supported line without its patch is NOT_AVAILABLE', () => {
    expect(verdict('influxdb:1.8')).toBe('FAILED');
    expect(verdict('influxdb:1.7-alpine')).toBe('FAILED');
    expect(verdict('influxdb:3.6-core')).toBe('FAILED');
    for (const image of ['influxdb:2', 'influxdb:2.7', 'influxdb:3-core', 'quay.io/influxdb/influxdb3-core:3', 'influxdb:latest'])
      expect({ image, status: verdict(image) }).toEqual({ image, status: 'NOT_AVAILABLE' });
  });
});
