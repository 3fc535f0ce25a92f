/** The tests, the demo and CI run on Node 24 (make setup installs it into .node/ when the machine's node is older). */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url).pathname;
const major = (v: string) => Number(v.replace(/^v/, '').split('.')[0]);

describe('Node 24', () => {
  it('runs this test run, and the node a script started from it finds first on PATH', () => {
    // Node 24 (or newer, when the machine has it): never the machine's older node.
    expect({ node: process.version, atLeast24: major(process.version) >= 24 }).toMatchObject({ atLeast24: true });
    expect(execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()).toBe(process.version);
  });
  it('is what package.json declares (engines >= 22) and what the Lambda bundles target', () => {
    expect(JSON.parse(readFileSync(`${root}package.json`, 'utf8')).engines).toEqual({ node: '>=22' });
    const sls = readFileSync(`${root}serverless.yml`, 'utf8');
    expect(sls).toMatch(/^ {2}runtime: nodejs24\.x$/m);
    expect(sls).toMatch(/^ {4}target: node24$/m);
  });
});
