// @ts-check
/**
 * The stack's accepted risks, validated when the stack is packaged or deployed (CHECKS.md "Accepted risks": in
 * the stack's configuration an invalid entry fails the deploy; at run time one is ignored with an error log).
 * serverless.yml reads the `suppressions` parameter through this resolver. It checks the entries with the
 * product's own validation (lib/config.ts usableSuppressions: known check id, one subject, a reason, an expiry at
 * most 366 days ahead), bundled in memory by esbuild (a dependency already) so that the rules exist once, and
 * fails with one line per invalid entry. Nothing is bundled when the parameter is empty (the default).
 */
const { buildSync } = require('esbuild');
const { join } = require('node:path');

/** lib/config.ts as a CommonJS module. */
function productConfig() {
  const out = buildSync({
    entryPoints: [join(__dirname, '..', 'lib', 'config.ts')],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    logLevel: 'silent',
  });
  const mod = { exports: /** @type {any} */ ({}) };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
  return mod.exports;
}

/**
 * The parameter's text, once every entry is valid; otherwise an error that stops `serverless package`/`deploy`.
 * @param {string} text
 */
function validated(text) {
  if (!text.trim()) return '';
  let invalid;
  try {
    invalid = productConfig().usableSuppressions({ INFLUXGUARD_SUPPRESSIONS: text }).invalid;
  } catch (err) {
    invalid = [/** @type {Error} */ (err).message];
  }
  if (invalid.length) throw new Error(`parameter suppressions: ${invalid.join('; ')} (docs/configuration.md, "Accepted risks")`);
  return text;
}

module.exports = {
  validated,
  /** @param {{ resolveVariable: (v: string) => Promise<unknown> }} ctx */
  suppressions: async ({ resolveVariable }) => validated(String((await resolveVariable('param:suppressions')) ?? '')),
};
