import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { VERSION } from '../lib/version.js';

it('lib/version.ts follows package.json', () => {
  expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
});
