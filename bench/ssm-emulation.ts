/**
 * What moto's SSM lacks, answered inside the SDK client for the benchmark:
 * DescribeInstanceInformation (every instance Online, Linux),
 * ListCommandInvocations (every invocation of a command sent through this
 * client has succeeded; with Details, the output as SSM gives it, cut at
 * 2,500 characters), and GetCommandInvocation's stdout (moto returns it
 * empty; the benchmark supplies the collector's real output). SendCommand and
 * GetCommandInvocation themselves still go to moto. Calls answered here are
 * still counted as calls by the client's counter (it runs first).
 */
import type { Clients } from '../lib/aws/clients.js';

type Input = Record<string, unknown>;
type Service = 'ec2' | 'elb' | 'elbv2' | 'sts' | 'ssm' | 'securityHub' | 'sns' | 'dynamodb' | 'sqs' | 'organizations';
type Middleware = (
  next: (a: { input: unknown }) => Promise<{ output: unknown }>,
  context: { commandName?: string },
) => (a: { input: unknown }) => Promise<{ output: unknown }>;
interface Stack {
  middlewareStack: { add: (m: Middleware, o: object) => void };
}

/**
 * Call `add` once for every client of these services the scan creates (to give it a middleware), with its region and
 * service; also for those whose accessor returns a promise (clients loaded on first use).
 */
export function onEveryClient(
  clients: Clients,
  services: readonly Service[],
  add: (c: Stack, region: string, service: Service) => void,
): void {
  for (const service of services) {
    const make = clients[service] as (region: string) => unknown;
    const seen = new WeakSet<object>();
    const once = (c: object, region: string) => {
      if (!seen.has(c)) {
        seen.add(c);
        add(c as Stack, region, service);
      }
      return c;
    };
    (clients as unknown as Record<Service, (region: string) => unknown>)[service] = (region) => {
      const c = make(region) as object;
      return c instanceof Promise ? c.then((made: object) => once(made, region)) : once(c, region);
    };
  }
}

export function emulateSsm(clients: Clients, stdout: string): void {
  const commands = new Map<string, string[]>();
  onEveryClient(clients, ['ssm'], (c) =>
    c.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Input;
        const answer = (output: object) => ({ output: { ...output, $metadata: {} }, response: {} }) as never;
        switch (context.commandName) {
          case 'DescribeInstanceInformationCommand': {
            const ids = (input.Filters as { Values: string[] }[])[0]!.Values;
            return answer({
              InstanceInformationList: ids.map((InstanceId) => ({ InstanceId, PingStatus: 'Online', PlatformType: 'Linux' })),
            });
          }
          case 'ListCommandInvocationsCommand': {
            const ids = commands.get(input.CommandId as string) ?? [];
            const plugins = input.Details
              ? { CommandPlugins: [{ Name: 'collect', Status: 'Success', Output: stdout.slice(0, 2500) }] }
              : {};
            return answer({
              CommandInvocations: ids.map((InstanceId) => ({ InstanceId, CommandId: input.CommandId, Status: 'Success', ...plugins })),
            });
          }
          case 'SendCommandCommand': {
            const out = await next(args);
            const id = (out.output as { Command?: { CommandId?: string } }).Command?.CommandId;
            if (id) commands.set(id, input.InstanceIds as string[]);
            return out;
          }
          case 'GetCommandInvocationCommand': {
            const out = await next(args);
            const o = out.output as { StandardOutputContent?: string };
            if (!o.StandardOutputContent) o.StandardOutputContent = stdout;
            return out;
          }
          default:
            return next(args);
        }
      },
      { step: 'initialize', name: 'benchSsmEmulation' },
    ),
  );
}
