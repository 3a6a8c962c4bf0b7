// API Gateway's own JWT authorizer in front of the route, present when the claimsFromApiGateway param is
// true (the function then reads the token the authorizer verified instead of verifying it again). Its
// issuer and audiences are the jwtIssuer and jwtAudience params. Off: no authorizer, and the function
// verifies every token.
//
// The authorizer verifies RSA signatures only, with the keys named by the issuer's discovery document
// ({issuer}/.well-known/openid-configuration, fetched over https), and checks the token's aud or client_id
// against its list of audiences
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html). Packaging
// refuses what it cannot honour: another algorithm, a key given here (jwtVerificationKey, jwtJwksFile,
// jwtJwksUrl: the function would ignore them, the authorizer never reads them), an issuer without https.
// A comma-separated audience becomes the list of audiences: here when the param holds it, at deploy time
// when it is a parameter in SSM (deploy/settings-from-ssm.cjs).
const { booleanParam, commaList } = require('./params.cjs');

const NAME = 'identityProvider';
// The algorithms the authorizer verifies: "only RSA-based algorithms are supported"
// (developerguide/http-api-jwt-authorizer.html), which its API names as RS256, RS384 and RS512; RSA-PSS
// (PS*) it does not list.
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
// A dynamic reference is resolved at deploy time; what it holds is checked then.
const resolvedLater = (value) => value.startsWith('{{resolve:');

const enabled = (resolveVariable) => booleanParam(resolveVariable, 'claimsFromApiGateway');

/** Why the authorizer cannot honour these params: one sentence each, naming the param; none when it can. */
function refusals({ algorithms, verificationKey, jwksUrl, jwksFile, issuerUrl, audience }) {
  const problems = [];
  const notRsa = commaList(algorithms).filter((algorithm) => !RSA_ALGORITHMS.includes(algorithm));
  if (notRsa.length > 0) {
    problems.push(
      `jwtAlgorithms has ${notRsa.join(', ')}: the authorizer verifies RSA signatures only (RS256, RS384, RS512)`,
    );
  }
  for (const [param, value] of [
    ['jwtVerificationKey', verificationKey],
    ['jwtJwksFile', jwksFile],
  ]) {
    if (value !== '') problems.push(`${param} must be blank: the authorizer reads the keys the issuer publishes`);
  }
  if (jwksUrl !== '' && !resolvedLater(jwksUrl)) {
    problems.push(
      "jwtJwksUrl is not used: the authorizer reads the jwks_uri of the issuer's discovery document; leave it blank",
    );
  }
  if (issuerUrl === '' || audience.length === 0) {
    problems.push('jwtIssuer and jwtAudience are both needed: the authorizer checks both');
  } else if (!resolvedLater(issuerUrl) && !(URL.canParse(issuerUrl) && new URL(issuerUrl).protocol === 'https:')) {
    problems.push(`jwtIssuer must be an https URL (the authorizer fetches its discovery document), got ${issuerUrl}`);
  }
  return problems;
}

module.exports.authorizers = async ({ resolveVariable }) => {
  if (!(await enabled(resolveVariable))) return {};
  const text = async (param) => String((await resolveVariable(`param:${param}`)) ?? '').trim();
  const issuerUrl = await text('jwtIssuer');
  const audience = commaList(await resolveVariable('param:jwtAudience'));
  const problems = refusals({
    algorithms: await text('jwtAlgorithms'),
    verificationKey: await text('jwtVerificationKey'),
    jwksUrl: await text('jwtJwksUrl'),
    jwksFile: await text('jwtJwksFile'),
    issuerUrl,
    audience,
  });
  if (problems.length > 0) {
    throw new Error(
      `claimsFromApiGateway=true: API Gateway's JWT authorizer cannot honour this: ${problems.join('; ')}`,
    );
  }
  return { [NAME]: { type: 'jwt', identitySource: '$request.header.Authorization', issuerUrl, audience } };
};

module.exports.routes = async ({ resolveVariable }) => {
  const authorizer = (await enabled(resolveVariable)) ? { authorizer: { name: NAME } } : {};
  return [{ httpApi: { method: 'PATCH', path: '/learnings/{learning_id}', ...authorizer } }];
};
