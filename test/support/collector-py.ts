/**
 * The collector's Python program (collector/collect.sh runs it with the host's
 * python3), loaded as a module to call one of its pure functions in a test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { COLLECTOR_PATH } from '../../lib/evidence/host/local.js';

export function collectorPython(): string {
  const script = readFileSync(COLLECTOR_PATH, 'utf8');
  return script.slice(script.indexOf("<<'PYTHON'\n") + 11, script.lastIndexOf('\nPYTHON\n'));
}

/** `fn(*args)` of the collector's program, its result as JSON. */
export function collectorCall(fn: string, ...args: unknown[]): unknown {
  const harness = `import json, sys\nns = {'__name__': 'collector'}\nexec(compile(sys.stdin.read(), 'collect', 'exec'), ns)\nprint(json.dumps(ns[${JSON.stringify(fn)}](*json.loads(sys.argv[1]))))`;
  return JSON.parse(
    execFileSync('/usr/bin/python3', ['-I', '-S', '-c', harness, JSON.stringify(args)], { input: collectorPython(), encoding: 'utf8' }),
  );
}

/** A constant of the collector's program. */
export function collectorConstant(name: string): unknown {
  const harness = `import json, sys\nns = {'__name__': 'collector'}\nexec(compile(sys.stdin.read(), 'collect', 'exec'), ns)\nprint(json.dumps(sorted(ns[${JSON.stringify(name)}])))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-I', '-S', '-c', harness], { input: collectorPython(), encoding: 'utf8' }));
}
