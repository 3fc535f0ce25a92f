/**
 * Which ports are an instance's InfluxDB HTTP API (CHECKS.md, "InfluxDB 3 … 8181"): the bound port when the host
 * evidence or the endpoint tag shows it, else 8181 for 3.x, 8086 for 1.x/2.x, and both while nothing tells the major
 * version. Part of the exposure model (pure): the network checks (lib/checks/net.ts httpApiPorts) and the kinds'
 * reachability both read it, and neither may import the other.
 */
import { V3_OPTIONS, type HostEvidence, type HostProcess } from '../host-evidence.js';
import type { EcsEvidence } from '../model/evidence.js';
import type { Instance } from '../model/inventory.js';
import { ok, type Result } from '../result.js';
import { isLoopbackHost } from '../util/cidr.js';
import { unique } from '../util/concurrency.js';

export const HTTP_PORT = 8086;
/** InfluxDB 3 serves its HTTP API on 8181 by default. */
export const V3_HTTP_PORT = 8181;

export function apiPorts(major: 1 | 2 | 3 | undefined, bound?: number): number[] {
  if (bound !== undefined) return [bound];
  if (major === 3) return [V3_HTTP_PORT];
  if (major === 1 || major === 2) return [HTTP_PORT];
  return [HTTP_PORT, V3_HTTP_PORT];
}

/**
 * The port a bind address serves from the network: none for a loopback bind (`127.0.0.1:8087`, `[::1]:8087`,
 * `localhost:8087`), which no security group rule reaches; a proxy in front of it serves the API on its own port.
 */
const portOf = (bind: string | undefined): number | undefined => {
  const host = bind?.replace(/:\d{1,5}$/, '');
  if (host && isLoopbackHost(host)) return undefined;
  const m = bind?.match(/:(\d{1,5})$/);
  const n = m ? Number(m[1]) : Number.NaN;
  return n > 0 && n < 65536 ? n : undefined;
};

/**
 * One server process's major version and the port its API is bound to, in its server's order for that one option
 * (3.x flag > INFLUXDB3_HTTP_BIND_ADDR; 2.x flag > INFLUXD_HTTP_BIND_ADDRESS > file; 1.x INFLUXDB_HTTP_BIND_ADDRESS >
 * file; lib/checks/hostfacts.ts applies the same orders to every option, but the exposure model may not import checks).
 */
function apiOf(p: HostProcess): { major: 1 | 2 | 3; bound?: number | undefined } | undefined {
  if (p.name === 'influxd-meta') return undefined;
  const unread = p.configSource === 'none';
  if (p.flavour === 'influxdb-3') return { major: 3, bound: portOf(p.flags?.['http-bind'] ?? p.env[V3_OPTIONS['http-bind']]) };
  if (p.flavour === 'influxdb-2')
    return {
      major: 2,
      bound: unread
        ? undefined
        : portOf(p.flags?.['http-bind-address'] ?? p.env.INFLUXD_HTTP_BIND_ADDRESS ?? p.config['http-bind-address']),
    };
  return { major: 1, bound: unread ? undefined : portOf(p.env.INFLUXDB_HTTP_BIND_ADDRESS ?? p.config['http.bind-address']) };
}

/** The port an `influxdb:endpoint` tag names (`https://host:8443`, `host:8181`), if any. */
function taggedPort(i: Instance): number | undefined {
  const tag = i.tags['influxdb:endpoint'];
  if (!tag) return undefined;
  try {
    const u = new URL(tag.includes('://') ? tag : `http://${tag}`);
    return u.port ? Number(u.port) : undefined;
  } catch {
    return undefined;
  }
}

/** An instance's InfluxDB HTTP API ports, from its host evidence (when read), else its endpoint tag, else its AWS evidence alone. */
export function instanceApiPorts(i: Instance, host?: Result<HostEvidence>): number[] {
  const apis = host?.ok ? host.value.processes.flatMap((p) => apiOf(p) ?? []) : [];
  if (apis.length) return [...new Set(apis.flatMap((a) => apiPorts(a.major, a.bound)))];
  // A tag's port may be a proxy's or a load balancer's: it is judged beside the defaults, never instead of them.
  const tagged = taggedPort(i);
  return [...new Set([...(tagged !== undefined ? [tagged] : []), ...apiPorts(undefined)])];
}

/**
 * The host evidence that tells a subject's API port: the collector's, else a containerised InfluxDB's task definitions
 * as host evidence (lib/kinds/ecs-service/evidence.ts) when each of its InfluxDB containers is a process there whose
 * options were read (a container of an unknown major, or whose command could not be read, binds no port the task
 * definition shows: then only AWS evidence speaks, both ports).
 */
export function apiHostOf(e: { host?: Result<HostEvidence>; ecs?: Result<EcsEvidence> }): Result<HostEvidence> | undefined {
  if (e.host) return e.host;
  const ecs = e.ecs?.ok ? e.ecs.value : undefined;
  if (!ecs?.host) return undefined;
  const told =
    ecs.containers.every((c) => c.container.influx?.major !== undefined) && ecs.host.processes.every((p) => p.configSource !== 'none');
  return told ? ok(ecs.host) : undefined;
}

/**
 * Bridge networking (CHECKS.md "InfluxDB on Amazon ECS": "the container instance's groups and the mapped host port"):
 * each InfluxDB container port a bridge task definition maps, and the host ports it is published on: a static
 * `hostPort`, else (dynamic, `hostPort` 0 or none) the running tasks' `networkBindings` for that container port (none
 * known: the network is NOT_AVAILABLE, lib/kinds/ecs-service/evidence.ts hostNetworkGap). awsvpc and host networking
 * publish a container port on itself.
 */
function bridgePorts(ecs: EcsEvidence): Map<number, number[]> {
  const out = new Map<number, number[]>();
  if (ecs.service.launchType === 'FARGATE') return out;
  for (const { taskDefinition: td, container: c } of ecs.containers) {
    if (td.networkMode === 'awsvpc' || td.networkMode === 'host') continue;
    for (const m of c.portMappings) {
      if (m.protocol !== 'tcp') continue;
      const bound = ecs.service.tasks
        .filter((t) => t.taskDefinitionArn === td.arn)
        .flatMap((t) => t.networkBindings.filter((b) => b.container === c.name && b.containerPort === m.containerPort))
        .map((b) => b.hostPort);
      const host = m.hostPort ? [m.hostPort] : bound;
      out.set(m.containerPort, unique([...(out.get(m.containerPort) ?? []), ...host]));
    }
  }
  return out;
}

/** The ports a subject serves `ports` on from the network: a bridge service's mapped host ports (bridgePorts), else themselves. */
export function publishedPorts(e: { ecs?: Result<EcsEvidence> }, ports: readonly number[]): number[] {
  const map = e.ecs?.ok ? bridgePorts(e.ecs.value) : new Map<number, number[]>();
  return unique(ports.flatMap((p) => map.get(p) ?? [p]));
}

/**
 * A subject's InfluxDB HTTP API ports as the network sees them: instanceApiPorts from apiHostOf; for a containerised
 * InfluxDB whose bound port is not told (a command or configuration the scanner does not read, an unknown major), the
 * defaults and every container port its InfluxDB containers map (such a command may bind any of them: a world-open
 * one never passes silently); on bridge networking, the host ports they are mapped to (publishedPorts).
 */
export function subjectApiPorts(i: Instance, e: { host?: Result<HostEvidence>; ecs?: Result<EcsEvidence> }): number[] {
  const host = apiHostOf(e);
  const ports = instanceApiPorts(i, host);
  if (!e.ecs?.ok) return ports;
  const mapped = host ? [] : e.ecs.value.containers.flatMap(({ container }) => container.portMappings.map((m) => m.containerPort));
  return publishedPorts(e, [...ports, ...mapped]);
}
