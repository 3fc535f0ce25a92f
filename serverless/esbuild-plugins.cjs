// @ts-check
/** The esbuild plugins of the Lambda bundles (serverless.yml custom.esbuild.plugins): each file says why. */
module.exports = [...require('./lazy-sdk.cjs'), require('./zod-english.cjs')];
