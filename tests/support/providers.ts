// The identity providers of docs/identity-providers.md: each recipe's settings, and access tokens with every
// claim that provider documents for them (not only the ones this service reads). The e2e test sends them
// through serverless-offline; a test also checks the recipes in the docs carry these exact settings.

export interface Caller {
  /** The record owner these claims identify, as the service reads it (the user id claim's value). */
  userId: string;
  claims: Record<string, unknown>;
}

export interface ProviderRecipe {
  name: string;
  /** The function's settings (variables; docs/identity-providers.md gives them as serverless.yml params). */
  env: Record<string, string>;
  /** A user with the write scope; another user; an admin; a user without the write scope. */
  owner: Caller;
  stranger: Caller;
  admin: Caller;
  noScope: Caller;
  /** Claims of the same provider's token meant for another API or app. */
  wrongAudience: Record<string, unknown>;
  /** Further tokens of this provider and the status each must get on the owner's record. */
  more: { name: string; claims: Record<string, unknown>; status: number }[];
}

const now = () => Math.floor(Date.now() / 1000);
const times = () => ({ iat: now(), exp: now() + 3600 });
// The stand-in signer adds sub, scopes, iss and aud unless told otherwise: undefined drops them.
const only = { sub: undefined, scopes: undefined, aud: undefined };

// Cognito user pool access token (OAuth flow with a resource-server scope); admins are a user-pool group.
const COGNITO_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AgnoPool1';
const COGNITO_CLIENT = '5mvq8k1agnoappclient0000';
const cognito = (sub: string, scope: string, groups?: string[], clientId = COGNITO_CLIENT) => ({
  ...only,
  sub,
  ...(groups === undefined ? {} : { 'cognito:groups': groups }),
  iss: COGNITO_ISSUER,
  version: 2,
  client_id: clientId,
  origin_jti: crypto.randomUUID(),
  event_id: crypto.randomUUID(),
  token_use: 'access',
  scope,
  auth_time: now(),
  ...times(),
  jti: crypto.randomUUID(),
  username: `${sub.slice(0, 8)}-user`,
});

// Auth0 access token for an API (audience) with RBAC permissions, and roles added by an Action under a
// namespaced claim.
const AUTH0_ISSUER = 'https://agno-team.eu.auth0.com/';
const AUTH0_API = 'https://learnings.agno.example.com';
const auth0 = (sub: string, permissions: string[], roles: string[] = [], audience = AUTH0_API) => ({
  ...only,
  'https://agno.example.com/roles': roles,
  iss: AUTH0_ISSUER,
  sub,
  aud: [audience, `${AUTH0_ISSUER}userinfo`],
  ...times(),
  scope: 'openid profile email',
  azp: 'kVx1AgnoAdminSpaClient',
  permissions,
});

// Okta custom authorization server access token; admins are a group in a `groups` claim.
const OKTA_ISSUER = 'https://agno-team.okta.com/oauth2/default';
const okta = (uid: string, scp: string[], groups: string[] = [], audience = 'api://default') => ({
  ...only,
  ver: 1,
  jti: `AT.${crypto.randomUUID()}`,
  iss: OKTA_ISSUER,
  aud: audience,
  ...times(),
  cid: '0oa8agnoclient5d7',
  uid,
  scp,
  auth_time: now(),
  sub: `${uid}@example.com`,
  groups,
});

// Entra ID v2 access token for an API app: delegated scopes in `scp`, app roles in `roles`, `oid` the
// user's object id (`sub` is pairwise, per app).
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA_API = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
const entra = (oid: string, scp: string | undefined, roles: string[] | undefined, audience = ENTRA_API) => ({
  ...only,
  aud: audience,
  iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  ...times(),
  nbf: now() - 5,
  aio: 'AWQAm/8TAAAA',
  azp: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
  azpacr: '0',
  name: 'A User',
  oid,
  preferred_username: `${oid.slice(0, 8)}@agno.example.com`,
  rh: '0.AXEA',
  ...(scp === undefined ? {} : { scp }),
  ...(roles === undefined ? {} : { roles }),
  sub: `pairwise-${oid.slice(0, 8)}`,
  tid: TENANT,
  uti: 'fqiBqXLPj0eQa82S-IYFAA',
  ver: '2.0',
});

// Keycloak access token of a realm, with an audience mapper adding the API; admins are a realm role.
const KEYCLOAK_ISSUER = 'https://sso.agno.example.com/realms/agno';
const keycloak = (sub: string, scope: string, realmRoles: string[], audience = 'agno-api') => ({
  ...only,
  ...times(),
  auth_time: now(),
  jti: crypto.randomUUID(),
  iss: KEYCLOAK_ISSUER,
  aud: [audience, 'account'],
  sub,
  typ: 'Bearer',
  azp: 'agno-admin-app',
  sid: crypto.randomUUID(),
  acr: '1',
  'allowed-origins': ['https://admin.agno.example.com'],
  realm_access: { roles: ['offline_access', 'uma_authorization', ...realmRoles] },
  resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
  scope,
  email_verified: true,
  preferred_username: `${sub.slice(0, 8)}-user`,
});

const uuid = (n: number) => `${String(n).repeat(8)}-aaaa-4bbb-8ccc-${String(n).repeat(12)}`;

export const PROVIDERS: ProviderRecipe[] = [
  {
    name: 'Cognito',
    env: {
      JWT_ISSUER: COGNITO_ISSUER,
      JWT_AUDIENCE: COGNITO_CLIENT,
      JWT_SCOPES_CLAIM: 'scope,cognito:groups',
      REQUIRED_SCOPE: 'agno-learnings/write',
      ADMIN_SCOPE: 'learning-admins',
    },
    owner: { userId: uuid(1), claims: cognito(uuid(1), 'agno-learnings/write') },
    stranger: { userId: uuid(2), claims: cognito(uuid(2), 'agno-learnings/write') },
    admin: { userId: uuid(3), claims: cognito(uuid(3), 'openid', ['learning-admins']) },
    noScope: { userId: uuid(1), claims: cognito(uuid(1), 'aws.cognito.signin.user.admin', ['readers']) },
    wrongAudience: cognito(uuid(1), 'agno-learnings/write', undefined, '7otherappclient000000000'),
    more: [
      {
        name: "an ID token (aud is the app client, token_use 'id')",
        claims: { ...cognito(uuid(1), 'agno-learnings/write'), token_use: 'id', aud: COGNITO_CLIENT },
        status: 401,
      },
    ],
  },
  {
    name: 'Auth0',
    env: {
      JWT_ISSUER: AUTH0_ISSUER,
      JWT_AUDIENCE: AUTH0_API,
      JWT_SCOPES_CLAIM: 'permissions,https://agno.example.com/roles',
      REQUIRED_SCOPE: 'learnings:write',
      ADMIN_SCOPE: 'learnings-admin',
    },
    owner: { userId: 'auth0|64f1a1', claims: auth0('auth0|64f1a1', ['learnings:write']) },
    stranger: { userId: 'auth0|64f1b2', claims: auth0('auth0|64f1b2', ['learnings:write']) },
    admin: { userId: 'auth0|64f1c3', claims: auth0('auth0|64f1c3', [], ['learnings-admin']) },
    noScope: { userId: 'auth0|64f1a1', claims: auth0('auth0|64f1a1', ['learnings:read']) },
    wrongAudience: auth0('auth0|64f1a1', ['learnings:write'], [], 'https://billing.agno.example.com'),
    more: [
      {
        name: 'a machine-to-machine token (client credentials: sub is the client)',
        claims: { ...auth0('kVx1AgnoWorker@clients', ['learnings:write']), gty: 'client-credentials' },
        status: 404,
      },
    ],
  },
  {
    name: 'Okta',
    env: {
      JWT_ISSUER: OKTA_ISSUER,
      JWT_AUDIENCE: 'api://default',
      JWT_USER_ID_CLAIM: 'uid',
      JWT_SCOPES_CLAIM: 'scp,groups',
      REQUIRED_SCOPE: 'learnings:write',
      ADMIN_SCOPE: 'LearningAdmins',
    },
    owner: { userId: '00u1agnoalice', claims: okta('00u1agnoalice', ['openid', 'learnings:write']) },
    stranger: { userId: '00u2agnobob', claims: okta('00u2agnobob', ['openid', 'learnings:write']) },
    admin: { userId: '00u3agnoroot', claims: okta('00u3agnoroot', ['openid'], ['Everyone', 'LearningAdmins']) },
    noScope: { userId: '00u1agnoalice', claims: okta('00u1agnoalice', ['openid', 'profile'], ['Everyone']) },
    wrongAudience: okta('00u1agnoalice', ['openid', 'learnings:write'], [], 'api://billing'),
    more: [],
  },
  {
    name: 'Entra ID',
    env: {
      JWT_ISSUER: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      JWT_AUDIENCE: ENTRA_API,
      JWT_USER_ID_CLAIM: 'oid',
      JWT_SCOPES_CLAIM: 'scp,roles',
      REQUIRED_SCOPE: 'Learnings.Write',
      ADMIN_SCOPE: 'Learnings.Admin',
    },
    owner: { userId: uuid(4), claims: entra(uuid(4), 'Learnings.Write User.Read', undefined) },
    stranger: { userId: uuid(5), claims: entra(uuid(5), 'Learnings.Write', undefined) },
    admin: { userId: uuid(6), claims: entra(uuid(6), 'User.Read', ['Learnings.Admin']) },
    noScope: { userId: uuid(4), claims: entra(uuid(4), 'User.Read', undefined) },
    wrongAudience: entra(uuid(4), 'Learnings.Write', undefined, '00000003-0000-0000-c000-000000000000'),
    more: [
      {
        name: 'an app-only token (no scp; an app role; oid the service principal)',
        claims: { ...entra(uuid(7), undefined, ['Learnings.Admin']), idtyp: 'app' },
        status: 200,
      },
      {
        name: 'an app-only token without the admin role (its oid owns nothing)',
        claims: { ...entra(uuid(8), undefined, ['Learnings.Write']), idtyp: 'app' },
        status: 404,
      },
    ],
  },
  {
    name: 'Keycloak',
    env: {
      JWT_ISSUER: KEYCLOAK_ISSUER,
      JWT_AUDIENCE: 'agno-api',
      JWT_SCOPES_CLAIM: 'scope,realm_access.roles',
      REQUIRED_SCOPE: 'learnings:write',
      ADMIN_SCOPE: 'learning-admin',
    },
    owner: { userId: uuid(1), claims: keycloak(uuid(1), 'openid profile email learnings:write', []) },
    stranger: { userId: uuid(2), claims: keycloak(uuid(2), 'openid learnings:write', []) },
    admin: { userId: uuid(3), claims: keycloak(uuid(3), 'openid profile', ['learning-admin']) },
    noScope: { userId: uuid(1), claims: keycloak(uuid(1), 'openid profile email', []) },
    wrongAudience: keycloak(uuid(1), 'openid learnings:write', [], 'billing-api'),
    more: [
      {
        name: "an ID token (typ 'ID', aud the client)",
        claims: { ...keycloak(uuid(1), 'openid learnings:write', []), typ: 'ID', aud: 'agno-api' },
        status: 401,
      },
    ],
  },
];
