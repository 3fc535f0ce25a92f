/**
 * The SSM transport. moto runs SendCommand, ListCommands and GetCommandInvocation
 * for real (it has no DescribeInstanceInformation or ListCommandInvocations and
 * returns empty stdout); aws-sdk-client-mock supplies what moto cannot:
 * stdout content, TimedOut, Undeliverable, throttling, InvocationDoesNotExist.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateDocumentCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SSMClient,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { collectViaSsm, RUN_SHELL_SCRIPT, type SsmOptions } from '../../lib/evidence/host/ssm.js';
import type { Instance } from '../../lib/model.js';
import { seedEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { instance } from '../support/fixtures.js';

const GOOD = JSON.stringify({
  schema: 'influxguard.collector/2',
  collectedAt: '2026-11-23T10:00:00Z',
  hostname: 'influx-1',
  tools: { ss: true, openssl: true, influxd: true },
  version: '1.8.10',
  processes: [],
  listeners: [],
  listenerSource: 'ss',
  files: [],
  systemd: { environmentFiles: [], env: {} },
  errors: [],
});

const opts = (over: Partial<SsmOptions> = {}): SsmOptions => {
  let t = 0;
  return {
    documentName: 'influxguard-collect',
    script: 'echo',
    commandTimeoutSeconds: 60,
    deadlineMs: 30_000,
    sleep: async (ms) => {
      t += ms;
    },
    now: () => t,
    ...over,
  };
};
const inst = (id: string, state = 'running'): Instance => instance({ instanceId: id, state });

describe('SSM transport (aws-sdk-client-mock for what moto cannot do)', () => {
  const ssm = mockClient(SSMClient);
  afterEach(() => {
    ssm.reset();
  });
  afterAll(() => {
    ssm.restore();
  });
  const client = () => new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

  it('maps every outcome to evidence or a reason, and never throws', async () => {
    const managed = ['i-ok', 'i-fail', 'i-timeout', 'i-undeliverable', 'i-garbage', 'i-truncated', 'i-late'];
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [
        ...managed.map((InstanceId) => ({ InstanceId, PingStatus: 'Online' as const, PlatformType: 'Linux' as const })),
        { InstanceId: 'i-offline', PingStatus: 'ConnectionLost' as const },
      ],
    });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    ssm.on(ListCommandInvocationsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })); // falls back to polling each
    const inv = (InstanceId: string) => ssm.on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId });
    inv('i-ok').resolves({ Status: 'Success', StandardOutputContent: GOOD });
    inv('i-fail').resolves({ Status: 'Failed', ResponseCode: 2, StandardErrorContent: 'sh: awk: not found' });
    inv('i-timeout').resolves({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' });
    inv('i-undeliverable').resolves({ Status: 'Failed', StatusDetails: 'Undeliverable' });
    inv('i-garbage').resolves({ Status: 'Success', StandardOutputContent: '<html>oops' });
    inv('i-truncated').resolves({ Status: 'Success', StandardOutputContent: GOOD + ' '.repeat(24_000) });
    inv('i-late')
      .rejectsOnce(Object.assign(new Error('not yet'), { name: 'InvocationDoesNotExist' }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolvesOnce({ Status: 'InProgress' })
      .resolves({ Status: 'Success', StandardOutputContent: GOOD });

    const all = [...managed, 'i-offline', 'i-unmanaged'].map((id) => inst(id)).concat(inst('i-stopped', 'stopped'));
    const r = await collectViaSsm(client(), all, opts());
    const reason = (id: string) => {
      const x = r.get(id)!;
      return x.ok ? 'ok' : x.reason;
    };
    expect(reason('i-ok')).toBe('ok');
    expect(reason('i-late')).toBe('ok');
    expect(reason('i-fail')).toBe('collector Failed (exit 2): sh: awk: not found');
    expect(reason('i-timeout')).toMatch(/ExecutionTimedOut/);
    expect(reason('i-undeliverable')).toMatch(/Undeliverable/);
    expect(reason('i-garbage')).toMatch(/not valid JSON/);
    expect(reason('i-truncated')).toMatch(/SSM limit/);
    expect(reason('i-offline')).toMatch(/ConnectionLost, not Online/);
    expect(reason('i-unmanaged')).toMatch(/not SSM-managed/);
    expect(reason('i-stopped')).toMatch(/instance is stopped/);
    expect(r.size).toBe(all.length);
    const sent = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ DocumentName: 'influxguard-collect', MaxErrors: '100%' });
    expect(sent.Parameters).toBeUndefined(); // the stack's document carries the script
    expect(sent.InstanceIds).toEqual(managed);
  });

  it('sends at most 50 instances per SendCommand, and the script as a parameter of AWS-RunShellScript', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `i-${String(i).padStart(4, '0')}`);
    ssm.on(DescribeInstanceInformationCommand).callsFake((input: { Filters: { Values: string[] }[] }) => ({
      InstanceInformationList: input.Filters[0]!.Values.map((InstanceId) => ({ InstanceId, PingStatus: 'Online', PlatformType: 'Linux' })),
    }));
    let n = 0;
    ssm.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${n++}` } }));
    ssm
      .on(ListCommandInvocationsCommand)
      .callsFake(() => ({ CommandInvocations: ids.map((InstanceId) => ({ InstanceId, Status: 'Success' })) }));
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Success', StandardOutputContent: GOOD });
    const r = await collectViaSsm(
      client(),
      ids.map((id) => inst(id)),
      opts({ documentName: RUN_SHELL_SCRIPT, script: '#!/bin/sh\necho collector' }),
    );
    const sends = ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(sends.map((s) => s.InstanceIds!.length)).toEqual([50, 50, 20]);
    expect(sends[0]!.Parameters).toEqual({ commands: ['#!/bin/sh\necho collector'], executionTimeout: ['60'] });
    expect([...r.values()].every((x) => x.ok)).toBe(true);
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)).toHaveLength(3);
  });

  it('takes short outputs from the list call and reads only longer (truncated) ones with GetCommandInvocation', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: ['i-short', 'i-long'].map((InstanceId) => ({
        InstanceId,
        PingStatus: 'Online' as const,
        PlatformType: 'Linux' as const,
      })),
    });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    const long = JSON.stringify({ ...JSON.parse(GOOD), errors: Array.from({ length: 10 }, () => 'x'.repeat(300)) });
    ssm.on(ListCommandInvocationsCommand, { CommandId: 'cmd-1', Details: true }).resolves({
      CommandInvocations: [
        { InstanceId: 'i-short', Status: 'Success', CommandPlugins: [{ Name: 'collect', Status: 'Success', Output: GOOD }] },
        {
          InstanceId: 'i-long',
          Status: 'Success',
          CommandPlugins: [{ Name: 'collect', Status: 'Success', Output: `${long.slice(0, 2400)}\n---Output truncated---` }],
        },
      ],
    });
    ssm
      .on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: 'i-long' })
      .resolves({ Status: 'Success', StandardOutputContent: long });
    const r = await collectViaSsm(client(), [inst('i-short'), inst('i-long')], opts());
    expect([...r.values()].map((x) => x.ok)).toEqual([true, true]);
    expect(ssm.commandCalls(GetCommandInvocationCommand).map((c) => c.args[0].input.InstanceId)).toEqual(['i-long']);
  });

  it('reports what is still running at the deadline, and a failing DescribeInstanceInformation for all', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: 'i-slow', PingStatus: 'Online' }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    ssm.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-slow', Status: 'InProgress' }] });
    const r = await collectViaSsm(client(), [inst('i-slow')], opts({ deadlineMs: 10_000 }));
    expect(r.get('i-slow')).toEqual({ ok: false, reason: 'no result within 10000 ms (last status InProgress)' });

    ssm.reset();
    ssm
      .on(DescribeInstanceInformationCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const denied = await collectViaSsm(client(), [inst('i-a'), inst('i-b')], opts());
    expect([...denied.values()].map((x) => !x.ok && x.reason)).toEqual([
      'ssm:DescribeInstanceInformation failed: AccessDeniedException: User is not authorized',
      'ssm:DescribeInstanceInformation failed: AccessDeniedException: User is not authorized',
    ]);
  });
});

describe('SSM transport against the moto server', () => {
  let account: TestAccount;
  let ids: string[];
  beforeAll(async () => {
    account = await testAccount();
    const estate = await seedEstate(account.seeder('eu-west-1'), {
      region: 'eu-west-1',
      groups: [{ name: 'g', rules: [] }],
      instances: [{ name: 'fleet', tags: { influxdb: '' }, groups: ['g'], count: 60 }],
    });
    ids = estate.instances.fleet!;
  });

  it('sends the stack document in batches of 50 and reads invocations back (moto gives empty stdout)', async () => {
    const ssm = new SSMClient({ region: 'eu-west-1', endpoint: endpoint(), credentials: account.credentials });
    const sentBatches: number[] = [];
    // moto has no DescribeInstanceInformation / ListCommandInvocations: answer those two in the client, the rest goes to moto.
    ssm.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeInstanceInformationCommand') {
          const values = (args.input as { Filters: { Values: string[] }[] }).Filters[0]!.Values;
          return {
            output: {
              InstanceInformationList: values.map((InstanceId) => ({ InstanceId, PingStatus: 'Online', PlatformType: 'Linux' })),
              $metadata: {},
            },
          } as never;
        }
        if (context.commandName === 'ListCommandInvocationsCommand')
          throw Object.assign(new Error('not implemented by the emulator'), { name: 'NotImplemented' });
        if (context.commandName === 'SendCommandCommand') sentBatches.push((args.input as { InstanceIds: string[] }).InstanceIds.length);
        return next(args);
      },
      { step: 'initialize' },
    );
    await ssm.send(
      new CreateDocumentCommand({
        Name: 'influxguard-collect',
        DocumentType: 'Command',
        DocumentFormat: 'JSON',
        Content: JSON.stringify({
          schemaVersion: '2.2',
          description: 'influxguard collector',
          mainSteps: [{ action: 'aws:runShellScript', name: 'collect', inputs: { runCommand: ['sh collect.sh'] } }],
        }),
      }),
    );
    const r = await collectViaSsm(
      ssm,
      ids.map((id) => inst(id)),
      opts(),
    );
    const commands = (await ssm.send(new ListCommandsCommand({}))).Commands ?? [];
    expect(commands.map((c) => c.DocumentName)).toEqual(['influxguard-collect', 'influxguard-collect']);
    // (moto's ListCommands accumulates InstanceIds across commands, so the batch sizes are read from the requests.)
    expect(sentBatches).toEqual([50, 10]);
    expect(r.size).toBe(60);
    expect([...r.values()].every((x) => !x.ok && x.reason === 'the collector printed nothing')).toBe(true);
  });
});
