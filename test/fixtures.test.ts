/** The test fixtures leave nothing behind and make no noise: one exit hook for all servers, temporary files in the run's directory. */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { certificates, freePort, supervise } from '../scripts/influxd.js';

describe('test fixtures', () => {
  it('supervise as many servers as needed with one exit listener (no MaxListenersExceededWarning)', async () => {
    const before = process.listenerCount('exit');
    const servers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const port = await freePort();
        const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1')`], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        return supervise(child, { url: `http://127.0.0.1:${port}`, port, dir: tmpdir() + '/none', stopSignal: 'SIGTERM' });
      }),
    );
    const added = process.listenerCount('exit') - before;
    await Promise.all(servers.map((s) => s.stop()));
    expect(added).toBeLessThanOrEqual(1);
  });

  it('temporary files, the test CA’s key among them, live in the run’s own directory, removed by the global teardown', () => {
    expect(tmpdir()).toMatch(/\/influxguard-test-[^/]+$/);
    expect(certificates().startsWith(`${tmpdir()}/`)).toBe(true);
  });
});
