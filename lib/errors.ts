/**
 * Typed errors. Expected failures (bad usage, bad configuration, missing
 * credentials, an unreachable endpoint) are one of these and print as one
 * line; anything else is a bug and keeps its stack.
 */
export type ErrorKind = 'usage' | 'config' | 'credentials' | 'aws';

export class InfluxguardError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'InfluxguardError';
  }
}

export const usageError = (message: string) => new InfluxguardError('usage', message);
export const configError = (message: string) => new InfluxguardError('config', message);

/** A failed AWS call, named by service and operation, with the service's error code. */
export class AwsCallError extends InfluxguardError {
  constructor(
    readonly service: string,
    readonly operation: string,
    readonly code: string,
    detail: string,
  ) {
    super(isCredentialsCode(code) ? 'credentials' : 'aws', `${service}:${operation} failed: ${code}: ${detail}`);
    this.name = 'AwsCallError';
  }
}

const isCredentialsCode = (code: string) =>
  code === 'CredentialsProviderError' ||
  code === 'ExpiredToken' ||
  code === 'InvalidClientTokenId' ||
  code === 'UnrecognizedClientException';

/** The AWS SDK's error code, or the Node network error code, or the error's name. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.code === 'string' && e.code.length > 0) return e.code;
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (e.$metadata?.httpStatusCode) return `HTTP${e.$metadata.httpStatusCode}`;
  }
  return 'Error';
}

/**
 * A run of 40 or more base64 characters mixing upper case, lower case and digits is an opaque token (an AWS secret key
 * or session token, an InfluxDB token) that an endpoint echoed back: error text never needs it. Ids, ARNs, paths and
 * hex digests have separators or lack a case, and stay.
 */
const OPAQUE = /[A-Za-z0-9+/=]{40,}/g;
const opaqueTokensDropped = (text: string) =>
  text.replace(OPAQUE, (run) => (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) ? '[redacted]' : run));

/** One line, no stack, bounded length, no opaque token: safe to put in a finding or on stderr. */
export function oneLine(err: unknown, max = 300): string {
  let text: string;
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    text = err.message || err.name;
    if (cause instanceof Error && cause.message && !text.includes(cause.message)) text += ` (${cause.message})`;
  } else {
    text = String(err);
  }
  text = opaqueTokensDropped(text.replace(/\s+/g, ' ').trim());
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function toAwsCallError(service: string, operation: string, err: unknown): AwsCallError {
  if (err instanceof AwsCallError) return err;
  return new AwsCallError(service, operation, errorCode(err), oneLine(err));
}
