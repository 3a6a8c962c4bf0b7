// What the deployment and the README say of each environment variable: the serverless.yml param that sets it
// (undefined for those Lambda sets) and its meaning in the README's configuration table. tests/unit/config.test.ts
// keeps serverless.yml and the README in step with it. Apart from ENVIRONMENT, so that none of it is in the
// function's bundle.
import type { ENVIRONMENT } from './environment.ts';

export interface Documentation {
  param: string | undefined;
  meaning: string;
}

export const DOCUMENTATION: Record<keyof typeof ENVIRONMENT, Documentation> = {
  LEARNINGS_TABLE: { param: 'learningsTable', meaning: 'the table used when a request names no `db_id`' },
  LEARNINGS_DATABASES: {
    param: 'learningsDatabases',
    meaning: 'JSON: `db_id` → its table names, the first its default, e.g. `{"analytics":["analytics_learnings"]}`',
  },
  AWS_REGION: { param: undefined, meaning: 'set by Lambda' },
  DYNAMODB_ENDPOINT: { param: 'dynamodbEndpoint', meaning: 'a DynamoDB-compatible endpoint (local development)' },
  DYNAMODB_CONNECT_TIMEOUT_MS: {
    param: 'dynamodbConnectTimeoutMs',
    meaning: "the DynamoDB client's connection deadline",
  },
  DYNAMODB_REQUEST_TIMEOUT_MS: {
    param: 'dynamodbRequestTimeoutMs',
    meaning: "the DynamoDB client's deadline for an answer, per attempt",
  },
  DYNAMODB_MAX_ATTEMPTS: {
    param: 'dynamodbMaxAttempts',
    meaning: 'attempts per DynamoDB call, with the SDK backoff between them',
  },
  DYNAMODB_OLD_ITEM_ON_CONDITION_FAILURE: {
    param: 'dynamodbOldItemOnConditionFailure',
    meaning:
      'whether a failed condition returns the old item (DynamoDB, moto: yes; dynalite: no); default: true without `DYNAMODB_ENDPOINT`',
  },
  JWT_ALGORITHMS: {
    param: 'jwtAlgorithms',
    meaning: 'comma list: HS256/384/512, RS*, PS*, ES*, EdDSA; never `none`, never HMAC mixed with public-key',
  },
  JWT_VERIFICATION_KEY: {
    param: 'jwtVerificationKey',
    meaning: "a PEM public key, or for HS* the secret (at least the hash's length)",
  },
  JWT_JWKS_URL: { param: 'jwtJwksUrl', meaning: "the identity provider's JWKS URL (https), fetched at init, cached" },
  JWT_JWKS_FILE: { param: 'jwtJwksFile', meaning: 'a JWKS file packaged with the function (public keys only)' },
  JWT_JWKS_TIMEOUT_MS: {
    param: 'jwtJwksTimeoutMs',
    meaning: 'deadline of a JWKS fetch (also the longest the init waits for the key set)',
  },
  JWT_JWKS_COOLDOWN_SECONDS: {
    param: 'jwtJwksCooldownSeconds',
    meaning: 'least time between two fetches for an unknown `kid`',
  },
  JWT_JWKS_CACHE_SECONDS: {
    param: 'jwtJwksCacheSeconds',
    meaning: 'how long fetched keys are used before a refresh (kept if it fails)',
  },
  JWT_CLAIMS_FROM_API_GATEWAY: {
    param: 'claimsFromApiGateway',
    meaning: "true: trust API Gateway's JWT authorizer's claims instead of verifying again",
  },
  JWT_ISSUER: { param: 'jwtIssuer', meaning: 'when set, `iss` must equal it' },
  JWT_AUDIENCE: {
    param: 'jwtAudience',
    meaning: 'when set (comma list), `aud` must hold one of them; a token without `aud`: `client_id` must be one',
  },
  JWT_USER_ID_CLAIM: {
    param: 'jwtUserIdClaim',
    meaning: "the claim holding the caller's user id (a non-empty string)",
  },
  JWT_SCOPES_CLAIM: {
    param: 'jwtScopesClaim',
    meaning:
      'comma list of claims read together for scopes and admin roles, each a space-separated string or an array; a name no claim has is a dotted path (`realm_access.roles`)',
  },
  JWT_LEEWAY_SECONDS: { param: 'jwtLeewaySeconds', meaning: 'clock tolerance for `exp`, `nbf`, `iat`' },
  ADMIN_SCOPE: { param: 'adminScope', meaning: 'callers with it may change any record' },
  REQUIRED_SCOPE: { param: 'requiredScope', meaning: 'the scope non-admins need; set but blank: no scope check' },
  LOG_REQUESTS: {
    param: 'logRequests',
    meaning: 'JSON log lines: `all` (every request), `errors` (4xx, 5xx; the rest metrics only), `none`',
  },
  STAGE: { param: 'stage', meaning: 'the stage deployed: a metric dimension' },
  AWS_LAMBDA_LOG_LEVEL: { param: undefined, meaning: 'set by Lambda (`logLevel`): below it, metrics only' },
};
