// @ts-check
/**
 * esbuild plugin: zod 4's `z.locales` namespace (every language's error messages) is imported by zod's own index
 * and cannot be tree-shaken; it was 300 of the 874 KiB of the worker bundle, parsed at every cold start. The
 * product sets no locale and shows its own messages (lib/config.ts productMessage), so the bundles keep English
 * alone: `../locales/index.js` seen from zod resolves to a module that re-exports `en`. Used by the Lambda
 * bundles (serverless/esbuild-plugins.cjs) and the CLI bundle (scripts/bundle.ts); test/app/template.test.ts
 * checks a bundle still validates with zod's English messages.
 */
const { dirname, join } = require('node:path');

/** @type {import('esbuild').Plugin} */
const zodEnglish = {
  name: 'influxguard-zod-english',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-english' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

module.exports = zodEnglish;
