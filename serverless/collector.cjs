// Builds the stack's SSM Command document from collector/collect.sh, so that
// IAM can scope ssm:SendCommand to this document and the script is not sent
// with every command. The script travels base64-encoded: its shell ${...}
// expansions must reach the host untouched by Serverless or CloudFormation.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports.document = () => {
  const script = readFileSync(join(__dirname, '..', 'collector', 'collect.sh'), 'utf8');
  return {
    schemaVersion: '2.2',
    description:
      'influxguard host collector: prints one JSON document describing the InfluxDB processes, configuration, listeners and key files (no secret values).',
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'collect',
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: { timeoutSeconds: '60', runCommand: [`echo '${Buffer.from(script).toString('base64')}' | base64 -d | sh`] },
      },
    ],
  };
};
