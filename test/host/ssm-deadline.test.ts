/**
 * SSM host collection waits no longer than the scan has left: a worker keeps
 * its publishing reserve even when results never come (review finding: it
 * used to wait host.deadlineMs, 120 s by default, whatever the scan's deadline).
 */
import { afterAll, expect, it } from '@jest/globals';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clients } from '../../lib/aws/clients.js';
import { parseConfig } from '../../lib/config.js';
import { ssmHost } from '../../lib/evidence/host/ssm.js';
import { instance } from '../support/fixtures.js';

const ssm = mockClient(SSMClient);
afterAll(() => ssm.restore());

it('stops waiting for results when the scan deadline comes, well before host.deadlineMs', async () => {
  ssm
    .on(DescribeInstanceInformationCommand)
    .resolves({ InstanceInformationList: [{ InstanceId: 'i-slow', PingStatus: 'Online', PlatformType: 'Linux' }] });
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
  ssm.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-slow', Status: 'InProgress' }] });
  ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
  const config = parseConfig({ host: { enabled: true, documentName: 'influxguard-collect', deadlineMs: 60_000 } });
  const client = new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const clients = { ssm: () => client } as unknown as Clients;
  const started = Date.now();
  const collect = ssmHost(config, clients, () => 1_500);
  const r = await collect([instance({ instanceId: 'i-slow', region: 'eu-west-1' })]);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(r.get('i-slow')).toMatchObject({ ok: false, reason: expect.stringMatching(/no result within 1500 ms/) });
}, 30_000);
