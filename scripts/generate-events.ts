// Writes events/*.json: API Gateway HTTP API (payload 2.0) events for `sls invoke local`, against the
// demo data `npm start` seeds. Tokens are signed with the development secret and expire in 2100: they
// verify only where that public secret is configured (local mode), nowhere else.
import { writeFileSync } from 'node:fs';
import { httpEvent } from '../dev/events.ts';
import { ADMIN_SCOPE, signToken, WRITE_SCOPE } from '../dev/tokens.ts';

const expiresIn = Math.floor(Date.UTC(2100, 0, 1) / 1000) - Math.floor(Date.now() / 1000);
const alice = await signToken({ sub: 'alice', scopes: [WRITE_SCOPE], expiresIn });
const bob = await signToken({ sub: 'bob', scopes: [WRITE_SCOPE], expiresIn });
const admin = await signToken({ sub: 'admin', scopes: [WRITE_SCOPE, ADMIN_SCOPE], expiresIn });

const SAMPLE_EVENTS = {
  'owner-update': httpEvent({
    learningId: 'lrn_alice_profile',
    token: alice,
    body: { content: { name: 'Alice', preferences: { language: 'de' } } },
  }),
  'admin-update': httpEvent({ learningId: 'lrn_shared_entity', token: admin, body: { metadata: { reviewed: true } } }),
  'foreign-record': httpEvent({ learningId: 'lrn_alice_profile', token: bob, body: { content: { stolen: true } } }),
  'no-owner-record': httpEvent({ learningId: 'lrn_shared_entity', token: alice, body: { content: { facts: [] } } }),
  'bad-body': httpEvent({ learningId: 'lrn_alice_profile', token: alice, body: { user_id: 'bob', content: {} } }),
  'missing-token': httpEvent({ learningId: 'lrn_alice_profile', token: null, body: { content: {} } }),
};

for (const [name, event] of Object.entries(SAMPLE_EVENTS)) {
  writeFileSync(`events/${name}.json`, `${JSON.stringify(event, null, 2)}\n`);
}
