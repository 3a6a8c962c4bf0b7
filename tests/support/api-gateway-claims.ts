// What API Gateway's HTTP API JWT authorizer puts in requestContext.authorizer.jwt.claims (payload 2.0):
// every claim as a string; an array as its items between brackets, separated by spaces ("[a b]"); an object
// in Go's map notation ("map[roles:[a b]]"). serverless-offline's emulation passes the decoded claims as
// they are instead, so the integration tests build what API Gateway sends with this.
export function flattenLikeApiGateway(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, flatten(value)]));
}

function flatten(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flatten).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([key, inner]) => `${key}:${flatten(inner)}`).join(' ')}]`;
  }
  return String(value);
}
