/**
 * Operator-supplied audit credentials, held in memory only. The value lives in
 * a private field: JSON, util.inspect, template strings and error messages
 * show `[credentials]`, never the secret. Only `authorization()` reads it, to
 * build the one header sent to the endpoint the credentials belong to.
 */
import { inspect } from 'node:util';

export type CredentialKind = 'password' | 'token';

export class AuditCredentials {
  readonly #header: string;
  /** The secret parts, to scrub from any text a server sends back. */
  readonly #secrets: string[];
  /** `password` (a 1.x user: the 1.x audit) or `token` (a 2.x token: the 2.x audit). */
  readonly kind: CredentialKind;

  private constructor(kind: CredentialKind, header: string, secrets: string[]) {
    this.kind = kind;
    this.#header = header;
    this.#secrets = secrets.filter((x) => x.length >= 4);
  }

  static password(username: string, password: string): AuditCredentials {
    const basic = Buffer.from(`${username}:${password}`).toString('base64');
    return new AuditCredentials('password', `Basic ${basic}`, [password, basic]);
  }

  static token(token: string): AuditCredentials {
    return new AuditCredentials('token', `Token ${token}`, [token]);
  }

  /** `text` with every occurrence of the secret replaced (a server echoing what it was sent must not publish it). */
  scrub(text: string): string {
    return this.#secrets.reduce((t, x) => t.split(x).join('***'), text);
  }

  /** The Authorization header value (never logged). */
  authorization(): string {
    return this.#header;
  }

  /** Whether `token` is this credential's own token (to find the audit token among the listed ones). */
  isToken(token: unknown): boolean {
    return this.kind === 'token' && typeof token === 'string' && this.#header === `Token ${token}`;
  }

  toString(): string {
    return `[${this.kind} credentials]`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Why credentials could not be read; the message never quotes the value. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/**
 * A secret's JSON: `{"username": "…", "password": "…"}` (a 1.x admin user) or
 * `{"token": "…"}` (a 2.x operator token). Anything else is
 * refused with a message naming the keys found, never the values.
 */
export function credentialsFromSecret(text: string, what: string): AuditCredentials {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CredentialsError(`${what} is not JSON (expected {"username","password"} or {"token"})`);
  }
  const o = (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  const str = (k: string) =>
    typeof o[k] === 'string' && (o[k] as string).length > 0 && (o[k] as string).length <= 4096 ? (o[k] as string) : undefined;
  const token = str('token');
  const username = str('username');
  const password = str('password');
  if (token && !username && !password) return AuditCredentials.token(token);
  if (username && password && !token && !username.includes(':')) return AuditCredentials.password(username, password);
  const keys = Object.keys(o).slice(0, 10).join(', ') || 'none';
  throw new CredentialsError(`${what} must hold {"username","password"} (InfluxDB 1.x) or {"token"} (2.x); keys found: ${keys}`);
}

/** `user:password` (1.x) or a token (2.x, no colon), e.g. from an environment variable. */
export function credentialsFromText(text: string, what: string): AuditCredentials {
  const t = text.trim();
  if (!t) throw new CredentialsError(`${what} is empty`);
  const colon = t.indexOf(':');
  if (colon < 0) return AuditCredentials.token(t);
  if (colon === 0 || colon === t.length - 1) throw new CredentialsError(`${what} must be user:password or a token`);
  return AuditCredentials.password(t.slice(0, colon), t.slice(colon + 1));
}
