// @ts-check
/**
 * A Serverless plugin: removes the DependsOn entries the framework generates
 * that a Ref, Fn::GetAtt or Fn::Sub of the same resource already enforces
 * (a function on its `role`, the HTTP API stage on its access-log group, the
 * routes on their integration). cfn-lint reports each as W3005, and moto's
 * ValidateTemplate (cfn-lint inside) rejects the template for the first one,
 * which stopped `serverless deploy` against the emulator. The order
 * CloudFormation follows is unchanged: a reference is a dependency.
 */

/** Logical ids a template value refers to. */
function references(node, out = new Set()) {
  if (Array.isArray(node)) for (const x of node) references(x, out);
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add(Array.isArray(v) ? v[0] : String(v).split('.')[0]);
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const m of String(text).matchAll(/\$\{([^!}][^}.]*)/g)) out.add(m[1]);
        if (Array.isArray(v)) references(v[1], out);
      } else references(v, out);
    }
  return out;
}

/** @param {{ Resources?: Record<string, { DependsOn?: string | string[] }> }} template */
function tidy(template) {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.DependsOn === undefined) continue;
    const { DependsOn, ...rest } = resource;
    const enforced = references(rest);
    const kept = [DependsOn].flat().filter((d) => !enforced.has(d));
    if (kept.length) resource.DependsOn = kept;
    else delete resource.DependsOn;
  }
}

class TidyDependsOn {
  /** @param {any} serverless */
  constructor(serverless) {
    this.hooks = { 'before:package:finalize': () => tidy(serverless.service.provider.compiledCloudFormationTemplate) };
  }
}

module.exports = TidyDependsOn;
