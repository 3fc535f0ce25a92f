/**
 * An AWS endpoint is outside text too: a hostile or broken one that echoes the caller's credentials in its error
 * messages (the session token it received, a secret key it knows) must not get them printed. Defect (test fails on
 * the old code): the SDK's message went through oneLine() as it was, into stderr and the findings' reasons.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { oneLine } from '../../lib/errors.js';
import { runCli } from '../support/cli.js';

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const SESSION_TOKEN = `IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD${'Zm9vYmFy'.repeat(40)}`;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const token = String(req.headers['x-amz-security-token'] ?? '');
      const message = `the security token ${token} and key ${SECRET_KEY} are not valid`;
      const sts = /\/sts\/aws4_request/.test(String(req.headers.authorization ?? ''));
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        sts
          ? `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${message}</Message></Error><RequestId>1</RequestId></ErrorResponse>`
          : `<Response><Errors><Error><Code>AccessDenied</Code><Message>${message}</Message></Error></Errors><RequestID>1</RequestID></Response>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('prints neither the session token nor the secret key an AWS endpoint echoes in its errors', async () => {
  const r = await runCli(['scan', '--region', 'eu-west-1', '--no-probe', '--format', 'json'], {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_MAX_ATTEMPTS: '1',
  });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/AccessDenied/);
  const out = r.stdout + r.stderr;
  expect(out).not.toContain(SECRET_KEY);
  expect(out).not.toContain(SESSION_TOKEN.slice(0, 40));
  expect(out).not.toContain(SESSION_TOKEN.slice(-40));
});

it('oneLine keeps ids, ARNs and words, and drops long opaque tokens', () => {
  const text = oneLine(
    new Error(
      `User: arn:aws:sts::123456789012:assumed-role/influxguard-scan/i-0abc is not authorized on sg-0123456789abcdef0; token ${SESSION_TOKEN}`,
    ),
    1000,
  );
  expect(text).toContain('arn:aws:sts::123456789012:assumed-role/influxguard-scan/i-0abc');
  expect(text).toContain('sg-0123456789abcdef0');
  expect(text).not.toContain(SESSION_TOKEN.slice(0, 40));
});
