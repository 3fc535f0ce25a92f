import { describe, expect, it } from '@jest/globals';
import { backoffMs, sdkAttempts } from '../../lib/aws/retry.js';

describe('the retry policy', () => {
  it('gives each service its attempts, capped by the configuration', () => {
    expect(sdkAttempts('securityhub', 6)).toBe(6);
    expect(sdkAttempts('sts', 6)).toBe(3);
    expect(sdkAttempts('ec2', 2)).toBe(2);
    expect(sdkAttempts('unknown-service', 4)).toBe(4);
    expect(sdkAttempts('toString', 4)).toBe(4);
  });
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(0, 200, 10_000, () => 0)).toBe(100);
    expect(backoffMs(3, 200, 10_000, () => 0.5)).toBe(1600);
    expect(backoffMs(20, 200, 10_000, () => 0.999)).toBeLessThan(15_000);
  });
});
