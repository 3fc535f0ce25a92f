/**
 * esbuild plugin (serverless-esbuild `plugins`): the AWS SDK is external (the
 * nodejs24.x runtime ships it), and esbuild emits `var x = require("@aws-sdk/client-…")`
 * at the top of the bundle, then uses `x.Name` at call sites. Loading every
 * client package at import costs most of a cold start (client-ec2 alone is
 * ~450 ms here), so each such require becomes a proxy that loads its package
 * on first use: the API's status path loads DynamoDB's client only, and a
 * function pays for what it calls. Checked by test/app/template.test.ts.
 * The code's own dynamic imports of client packages (lib/aws/clients.ts) stay
 * `import("@aws-sdk/client-…")` in a CommonJS bundle, and an ES import does not
 * search NODE_PATH, where the Lambda runtime's SDK is found: they become requires too.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { resolve } = require('node:path');

const REQUIRE = /\brequire\("(@aws-sdk\/client-[a-z0-9-]+)"\)/g;
const IMPORT = /\bimport\("(@aws-sdk\/client-[a-z0-9-]+)"\)/g;
const PRELUDE =
  'var __lazySdk=(n)=>{let m;const l=()=>m??=require(n);return new Proxy({},{get:(_,k)=>l()[k],has:(_,k)=>k in l(),ownKeys:()=>Reflect.ownKeys(l()),getOwnPropertyDescriptor:(_,k)=>{const d=Reflect.getOwnPropertyDescriptor(l(),k);return d&&{...d,configurable:true}}})};\n';

/** The bundle text with every client-package require made lazy. */
function lazify(source) {
  const code = source.replace(IMPORT, 'Promise.resolve().then(()=>require("$1"))');
  if (!REQUIRE.test(code)) return code;
  const body = code.replace(REQUIRE, '__lazySdk("$1")');
  const strict = body.startsWith('"use strict";\n') ? '"use strict";\n' : '';
  return strict + PRELUDE + body.slice(strict.length);
}

const plugin = {
  name: 'influxguard-lazy-aws-sdk',
  setup(build) {
    build.initialOptions.metafile = true;
    build.onEnd((result) => {
      for (const out of Object.keys(result.metafile?.outputs ?? {})) {
        if (!/\.c?js$/.test(out)) continue;
        const file = resolve(build.initialOptions.absWorkingDir ?? process.cwd(), out);
        const code = readFileSync(file, 'utf8');
        const lazy = lazify(code);
        if (lazy !== code) writeFileSync(file, lazy);
      }
    });
  },
};

module.exports = [plugin];
module.exports.lazify = lazify;
