// Mints a token for the local API: `npm run token -- --sub alice [--admin] [--scopes "a b"] [--expires-in 3600]`.
// Signs with JWT_VERIFICATION_KEY when set (HS256), else with the development secret `npm start` uses.
import { parseArgs } from 'node:util';
import { ADMIN_SCOPE, DEV_JWT_SECRET, signToken, WRITE_SCOPE } from '../dev/tokens.ts';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    admin: { type: 'boolean', default: false },
    scopes: { type: 'string' },
    'expires-in': { type: 'string', default: '3600' },
  },
});
if (values.sub === undefined) {
  console.error('usage: npm run token -- --sub <user id> [--admin] [--scopes "s1 s2"] [--expires-in seconds]');
  process.exit(2);
}
const scopes = values.scopes?.split(' ').filter(Boolean) ?? [WRITE_SCOPE, ...(values.admin ? [ADMIN_SCOPE] : [])];
const secret = process.env.JWT_VERIFICATION_KEY ?? DEV_JWT_SECRET;
console.log(await signToken({ sub: values.sub, scopes, secret, expiresIn: Number(values['expires-in']) }));
