/**
 * Which container images are InfluxDB servers (CHECKS.md "InfluxDB on Amazon ECS"), from the image reference alone:
 * repository `influxdb`, `influxdb3-core` or `influxdb3-enterprise` under any registry, namespace or ECR mirror, with
 * its tag and digest. Pure. Hand-written rather than a registry-reference library: the only question is the last
 * path part and the tag, and the references come from task definitions (hostile: bounded, never resolved).
 */
import type { InfluxImage } from '../../model.js';

const SERVERS = new Set(['influxdb', 'influxdb3-core', 'influxdb3-enterprise']);
/** Docker's grammar for a tag and a digest (distribution/reference). */
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/** The parts of an image reference: repository path (without registry), tag, digest; undefined when malformed. */
export function parseImage(ref: string): { path: string; tag?: string; digest?: string } | undefined {
  if (ref.length === 0 || ref.length > 1000 || /\s/.test(ref)) return undefined;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  const parts = rest.split('/');
  // A first part with a dot or a port, or `localhost`, is a registry (docker.io, quay.io, an ECR mirror).
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  const last = parts[parts.length - 1] ?? '';
  const colon = last.indexOf(':');
  let tag: string | undefined;
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (parts.some((p) => !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p))) return undefined;
  return { path: parts.join('/'), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The InfluxDB major a tag of the `influxdb` repository names (undefined: `latest`, a variant alone, none). */
function majorOfTag(tag: string | undefined): 1 | 2 | 3 | undefined {
  if (!tag) return undefined;
  if (/^(?:\d+(?:\.\d+){0,2}-)?(?:core|enterprise)$/.test(tag)) return 3;
  const m = /^([123])(?:\.\d+){0,2}(?:[-_.][\w.-]*)?$/.exec(tag);
  return m ? (Number(m[1]) as 1 | 2 | 3) : undefined;
}

/** The InfluxDB server an image runs, or undefined for anything else (telegraf, chronograf, influxdb-client, …). */
export function influxImage(ref: string): InfluxImage | undefined {
  const p = parseImage(ref);
  if (!p) return undefined;
  const repository = p.path.split('/').pop()!;
  if (!SERVERS.has(repository)) return undefined;
  const major = repository === 'influxdb' ? majorOfTag(p.tag) : 3;
  const version = tagVersion(p.tag);
  return {
    ...(version ? { version } : {}),
    repository,
    ...(p.tag !== undefined ? { tag: p.tag } : {}),
    ...(p.digest !== undefined ? { digest: p.digest } : {}),
    ...(major !== undefined ? { major } : {}),
  };
}

/** The version a tag states in full (`1.8.10`, `2.7.12-alpine` → `2.7.12`), else the line it names (`1.8`), else none. */
function tagVersion(tag: string | undefined): { parts: number[]; full: boolean } | undefined {
  const m = tag ? /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:$|[-_])/.exec(tag) : null;
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3]].filter((x) => x !== undefined).map(Number);
  return { parts, full: parts.length === 3 };
}
