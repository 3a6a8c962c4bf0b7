// A serverless plugin: at deploy time, the `{{resolve:ssm:NAME}}` references of the template (the identity
// settings' defaults in serverless.yml) become the parameters' current values, read with the deploying
// credentials, before the framework compares the template with the last deployed one.
//
// Why: CloudFormation resolves a dynamic reference only when it updates the resource that holds it, and
// the framework skips a deploy whose template and artifacts are unchanged, so a changed issuer, audience
// or JWKS URL in SSM used never to reach the function
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html). With the
// values in the template, a changed value is a changed template: the next deploy updates the function.
// These settings are public facts of the identity provider, not secrets. Packaging still needs no
// credentials (the CI build job has none); the package keeps the references, the deploy resolves them.
//
// A comma-separated audience of API Gateway's JWT authorizer becomes its list of audiences here, once its
// value is known; the authorizer's issuer must be an https URL (deploy/jwt-authorizer.cjs checks what the
// params hold at packaging time).
const { SSMClient, GetParametersCommand } = require('@aws-sdk/client-ssm');
const { commaList } = require('./params.cjs');

const REFERENCE = /\{\{resolve:ssm:([^}]+)\}\}/g;

/** Calls `visit` with every string of `value` and puts back what it returns. */
function mapStrings(value, visit) {
  if (typeof value === 'string') return visit(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, visit));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, mapStrings(inner, visit)]));
  }
  return value;
}

/** The SSM parameters the template refers to (a name, or name:version), each once. */
function ssmReferences(template) {
  const names = new Set();
  mapStrings(template, (text) => {
    for (const match of text.matchAll(REFERENCE)) names.add(match[1]);
    return text;
  });
  return [...names];
}

/**
 * The template with each SSM reference replaced by its value (`values`: name → value), and the JWT
 * authorizer's audiences split at commas. Throws for a reference with no value, or an authorizer issuer
 * that is not https.
 */
function resolveSsmReferences(template, values) {
  const resolved = mapStrings(template, (text) =>
    text.replace(REFERENCE, (_reference, name) => {
      const value = values.get(name);
      if (value === undefined) throw new Error(`SSM parameter ${name} has no value`);
      return value;
    }),
  );
  for (const resource of Object.values(resolved.Resources ?? {})) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Authorizer') continue;
    const jwt = resource.Properties?.JwtConfiguration;
    if (jwt === undefined) continue;
    if (Array.isArray(jwt.Audience)) jwt.Audience = jwt.Audience.flatMap((audience) => commaList(audience));
    const issuer = String(jwt.Issuer ?? '');
    if (!(URL.canParse(issuer) && new URL(issuer).protocol === 'https:')) {
      throw new Error(
        `jwtIssuer must be an https URL for API Gateway's JWT authorizer (it fetches the discovery document), got ${issuer}`,
      );
    }
  }
  return resolved;
}

/** The parameters' values by the names asked for; throws naming those missing or not plain strings. */
async function readParameters(ssm, names) {
  const values = new Map();
  const problems = [];
  // GetParameters takes at most 10 names a call.
  for (let start = 0; start < names.length; start += 10) {
    const asked = names.slice(start, start + 10);
    const answer = await ssm.send(new GetParametersCommand({ Names: asked }));
    for (const name of answer.InvalidParameters ?? []) problems.push(`${name} does not exist`);
    for (const parameter of answer.Parameters ?? []) {
      // A name:version asked for comes back as the name and its selector.
      const selected = `${parameter.Name}${parameter.Selector ?? ''}`;
      const name = asked.includes(selected) ? selected : String(parameter.Name);
      if (parameter.Type === 'SecureString') problems.push(`${name} is a SecureString (put it as a String)`);
      else values.set(name, parameter.Value ?? '');
    }
  }
  if (problems.length > 0) {
    throw new Error(`SSM parameters the stack reads: ${problems.join('; ')} (README, "Deploy")`);
  }
  return values;
}

class SettingsFromSsm {
  constructor(serverless, _options, { log } = {}) {
    this.hooks = {
      'before:aws:deploy:deploy:createStack': async () => {
        const provider = serverless.getProvider('aws');
        const service = serverless.service.provider;
        const names = ssmReferences(service.compiledCloudFormationTemplate);
        if (names.length === 0) return;
        const ssm = new SSMClient(await provider.getAwsSdkV3Config());
        const values = await readParameters(ssm, names);
        service.compiledCloudFormationTemplate = resolveSsmReferences(service.compiledCloudFormationTemplate, values);
        log?.info(`Settings read from SSM: ${names.join(', ')}`);
      },
    };
  }
}

module.exports = SettingsFromSsm;
module.exports.ssmReferences = ssmReferences;
module.exports.resolveSsmReferences = resolveSsmReferences;
module.exports.readParameters = readParameters;
