import { describe, expect, it } from '@jest/globals';
import { isCredentialName, isCredentialValue } from '../../lib/util/credentials.js';

describe('credential names and values (CHECKS.md secrets.user-data, secrets.plaintext-environment)', () => {
  it('knows the named variables and the TOKEN/SECRET/PASSWORD families', () => {
    for (const n of [
      'INFLUXDB_ADMIN_PASSWORD',
      'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN',
      'INFLUX_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'influxd_vault_token',
      'INFLUXDB3_AUTH_TOKEN',
    ])
      expect(isCredentialName(n, 'user-data')).toBe(true);
    for (const n of [
      'INFLUXDB_ADMIN_PASSWORD_FILE',
      'DOCKER_INFLUXDB_INIT_PASSWORD_FILE',
      'INFLUXDB_HTTP_AUTH_ENABLED',
      'PATH',
      'MY_TOKEN',
      'INFLUXD_BOLT_PATH',
    ])
      expect(isCredentialName(n, 'user-data')).toBe(false);
  });
  it('adds INFLUXDB_* names in a task definition environment', () => {
    expect(isCredentialName('INFLUXDB_META_INTERNAL_SHARED_SECRET', 'environment')).toBe(true);
    expect(isCredentialName('INFLUXDB_META_INTERNAL_SHARED_SECRET', 'user-data')).toBe(false);
  });
  it('an empty value or a shell reference is not a credential', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell references, not templates
    for (const v of ['', '  ', '""', "''", '$PASS', '${PASS}', '"${PASS:-x}"', '$(cat /run/secret)', '`cat f`'])
      expect(isCredentialValue(v)).toBe(false);
    for (const v of ['hunter2', '"s3cret"', 'a$b']) expect(isCredentialValue(v)).toBe(true);
  });
});
