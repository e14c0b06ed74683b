import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { type DovecotAuthority, dovecotRoutes } from '../../../src/adapters/dovecot-http.ts';
import type { Account } from '../../../src/auth/directory.ts';
import type { QuotaSettings } from '../../../src/config/quota-settings.ts';
import { DOVECOT_ROUTES } from '../../../src/vocabulary/wire-contract.ts';

/** What each of Dovecot's calls answers for this account: the userdb fields, the prefetched ones, the token's. */
async function answersFor(account: Account, quotas: QuotaSettings | undefined) {
  const allow = async () => ({ outcome: 'allow' as const, account });
  const authority: DovecotAuthority = { signInWithToken: allow, signInWithPassword: allow, accountDecision: allow };
  const app = Fastify();
  await dovecotRoutes(app, authority, quotas);
  const post = async (url: string, payload: object) => (await app.inject({ method: 'POST', url, payload })).json();
  const user = { user: account.address };
  return {
    userdb: (await post(DOVECOT_ROUTES.userdbLookup, user)).fields,
    password: (await post(DOVECOT_ROUTES.passwordVerify, { ...user, password: 'p' })).fields,
    token: await post(DOVECOT_ROUTES.introspect, { token: 't' }),
  };
}

const alice = { address: 'alice@example.org', disabled: false };

describe("the mailbox size limit in Dovecot's answers", () => {
  it("carries the account's own limit, whatever its source, on every path", async () => {
    const { userdb, password, token } = await answersFor({ ...alice, quota: '2G' }, { defaultQuota: '1G' });
    assert.deepEqual(userdb, { user: 'alice@example.org', quota_storage_size: '2G' });
    assert.equal(password.userdb_quota_storage_size, '2G');
    assert.equal(token.quota_storage_size, '2G');
  });

  it('gives an account without one the default (POSTFIX_MAILBOX_SIZE_LIMIT), else unlimited: never a missing field', async () => {
    const limited = await answersFor(alice, { defaultQuota: '1G' });
    assert.equal(limited.userdb.quota_storage_size, '1G');
    assert.equal(limited.password.userdb_quota_storage_size, '1G');
    assert.equal(limited.token.quota_storage_size, '1G');
    const open = await answersFor(alice, { defaultQuota: 'unlimited' });
    assert.equal(open.userdb.quota_storage_size, 'unlimited');
    assert.equal(open.token.quota_storage_size, 'unlimited');
    assert.equal(
      (await answersFor({ ...alice, quota: 'unlimited' }, { defaultQuota: '1G' })).token.quota_storage_size,
      'unlimited',
    );
  });

  it('carries no limit at all with ENABLE_QUOTAS=0, not even an account’s own', async () => {
    const { userdb, password, token } = await answersFor({ ...alice, quota: '2G' }, undefined);
    assert.deepEqual(userdb, { user: 'alice@example.org' });
    assert.deepEqual(password, { user: 'alice@example.org', userdb_user: 'alice@example.org' });
    assert.deepEqual(token, { active: true, username: 'alice@example.org' });
  });
});
