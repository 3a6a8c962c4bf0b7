// API Gateway's own JWT authorizer in front of the route, present when the claimsFromApiGateway param is
// true (the function then reads the token the authorizer verified instead of verifying it again). Its
// issuer and audiences are the jwtIssuer and jwtAudience params. Off: no authorizer, and the function
// verifies every token.
const { booleanParam, commaList } = require('./params.cjs');

const NAME = 'identityProvider';

const enabled = (resolveVariable) => booleanParam(resolveVariable, 'claimsFromApiGateway');

module.exports.authorizers = async ({ resolveVariable }) => {
  if (!(await enabled(resolveVariable))) return {};
  const issuerUrl = String(await resolveVariable('param:jwtIssuer')).trim();
  const audience = commaList(await resolveVariable('param:jwtAudience'));
  if (issuerUrl === '' || audience.length === 0) {
    throw new Error('claimsFromApiGateway=true needs jwtIssuer and jwtAudience: the authorizer checks both');
  }
  return { [NAME]: { type: 'jwt', identitySource: '$request.header.Authorization', issuerUrl, audience } };
};

module.exports.routes = async ({ resolveVariable }) => {
  const authorizer = (await enabled(resolveVariable)) ? { authorizer: { name: NAME } } : {};
  return [{ httpApi: { method: 'PATCH', path: '/learnings/{learning_id}', ...authorizer } }];
};
