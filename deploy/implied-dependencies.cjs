// A serverless plugin: drops from each resource's DependsOn the resources its properties already reference
// (Ref, Fn::GetAtt). The framework writes such DependsOn entries for the HTTP API's stage and route;
// CloudFormation ignores them, but cfn-lint warns (W3005), and validators that refuse warnings refuse the
// stack. Runs last, on the template as it is saved.
const referencedIds = (value, ids = new Set()) => {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, ids);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') ids.add(inner);
      else if (key === 'Fn::GetAtt') ids.add(Array.isArray(inner) ? inner[0] : String(inner).split('.')[0]);
      else referencedIds(inner, ids);
    }
  }
  return ids;
};

const dropImpliedDependencies = (template) => {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.DependsOn === undefined) continue;
    const referenced = referencedIds(resource.Properties);
    const explicit = [resource.DependsOn].flat().filter((id) => !referenced.has(id));
    if (explicit.length === 0) delete resource.DependsOn;
    else resource.DependsOn = explicit;
  }
};

class ImpliedDependencies {
  constructor(serverless) {
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () =>
        dropImpliedDependencies(serverless.service.provider.compiledCloudFormationTemplate),
    };
  }
}

module.exports = ImpliedDependencies;
module.exports.dropImpliedDependencies = dropImpliedDependencies;
