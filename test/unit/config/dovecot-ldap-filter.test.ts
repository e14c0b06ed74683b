import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromDovecotFilter } from '../../../src/config/dovecot-ldap-filter.ts';
import { fillFilter } from '../../../src/vocabulary/ldap-filter.ts';

describe("docker-mailserver's Dovecot LDAP filters", () => {
  it("reads Dovecot 2.3's and 2.4's variables as the login and its parts", () => {
    // The forms docker-mailserver's docs, tests and auth-ldap.conf.ext use.
    const cases: [string, string][] = [
      ['(&(objectClass=PostfixBookMailAccount)(uniqueIdentifier=%n))', '(uniqueIdentifier=alice)'],
      ['(&(objectClass=PostfixBookMailAccount)(userID=%{user | username}))', '(userID=alice)'],
      ['(&(objectClass=qmailUser)(uid=%u)(accountStatus=active))', '(uid=alice@example.org)'],
      ['(&(mail=%{user})(dc=%{user|domain}))', '(&(mail=alice@example.org)(dc=example.org))'],
      ['(&(mail=%Lu)(o=%d))', '(&(mail=alice@example.org)(o=example.org))'],
    ];
    for (const [dovecot, contains] of cases) {
      assert.ok(fillFilter(fromDovecotFilter(dovecot), 'alice@example.org').includes(contains), dovecot);
    }
  });

  it('refuses a Dovecot variable that names anything but the login, saying which', () => {
    assert.throws(() => fromDovecotFilter('(&(uid=%n)(host=%{remote_ip}))'), /"%\{remote_ip\}" .*allowed: %u, %n, %d/);
    assert.throws(() => fromDovecotFilter('(uid=%s)'), /"%s" .*allowed: %u, %n, %d/);
    assert.throws(() => fromDovecotFilter('(&(uid=%n)'), /has 2 "\(" but 1 "\)"/);
  });
});
