/**
 * What a Lambda cold start evaluates: importing a handler builds no zod schema (each is built on first use,
 * lib/util/lazy.ts), and the first use builds the ones it needs. zod is replaced by itself behind a proxy that
 * records each schema-building call. The import times themselves are measured by bench/app.ts, never here.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { lazy } from '../../lib/util/lazy.js';

const real = await import('zod');
const built: string[] = [];
jest.unstable_mockModule('zod', () => ({
  ...real,
  z: new Proxy(real.z, {
    get(target, key) {
      const value = Reflect.get(target, key);
      return typeof value === 'function'
        ? (...args: unknown[]) => {
            built.push(String(key));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          }
        : value;
    },
  }),
}));

describe('cold start', () => {
  it('importing any handler builds no zod schema; the first use builds what it needs', async () => {
    for (const name of ['dispatch', 'worker', 'api', 'events', 'remediate']) {
      const { handler } = await import(`../../handlers/${name}.js`);
      expect({ name, handler: typeof handler, built }).toEqual({ name, handler: 'function', built: [] });
    }
    const { parseConfig } = await import('../../lib/config.js');
    expect(parseConfig({ regions: ['eu-west-1'] }).regions).toEqual(['eu-west-1']);
    expect(built).toContain('strictObject');
  });

  it('lazy() builds its value once, on the first call', () => {
    let builds = 0;
    const value = lazy(() => ({ n: ++builds }));
    expect(builds).toBe(0);
    expect(value()).toBe(value());
    expect(builds).toBe(1);
  });
});
