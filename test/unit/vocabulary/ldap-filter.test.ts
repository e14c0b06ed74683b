import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AndFilter, type EqualityFilter, FilterParser } from 'ldapts';
import { checkFilterTemplate, fillFilter, normalizeFilterTemplate } from '../../../src/vocabulary/ldap-filter.ts';

describe('LDAP filter templates', () => {
  it('fills %s, %u, %d and %%', () => {
    assert.equal(fillFilter('(mail=%s)', 'alice@example.org'), '(mail=alice@example.org)');
    assert.equal(fillFilter('(&(uid=%u)(domain=%d))', 'alice@example.org'), '(&(uid=alice)(domain=example.org))');
    assert.equal(fillFilter('(uid=%u)(d=%d)', 'alice'), '(uid=alice)(d=)');
    assert.equal(fillFilter('(note=100%%)', 'x'), '(note=100%)');
  });

  it('escapes what a login could use to widen the filter (RFC 4515)', () => {
    const filled = fillFilter('(&(objectClass=inetOrgPerson)(mail=%s))', '*)(uid=*');
    assert.equal(filled, '(&(objectClass=inetOrgPerson)(mail=\\2a\\29\\28uid=\\2a))');
    // Still one equality test on mail: no wildcard, no second clause.
    const parsed = FilterParser.parseString(filled) as AndFilter;
    assert.deepEqual(
      parsed.filters.map((clause) => [
        clause.constructor.name,
        (clause as EqualityFilter).attribute,
        (clause as EqualityFilter).value,
      ]),
      [
        ['EqualityFilter', 'objectClass', 'inetOrgPerson'],
        ['EqualityFilter', 'mail', '*)(uid=*'],
      ],
    );
    assert.equal(fillFilter('(mail=%s)', 'a\\b\u0000'), '(mail=a\\5cb\\00)');
  });

  it('uses the key as given, placeholders in it are not filled again', () => {
    assert.equal(fillFilter('(mail=%s)', '%u@%d'), '(mail=%u@%d)');
  });

  it('accepts docker-mailserver filters and refuses broken ones with the reason', () => {
    checkFilterTemplate('(&(mail=%s)(mailEnabled=TRUE))');
    checkFilterTemplate(
      '(|(&(mailGroupMember=%s)(mailEnabled=TRUE))(&(mailAlias=%s)(objectClass=PostfixBookMailForward)))',
    );
    assert.throws(() => checkFilterTemplate('(mail=%x)'), /unknown placeholder "%x"/);
    assert.throws(() => checkFilterTemplate('mail=%s'), /is not an LDAP filter/);
    assert.throws(() => checkFilterTemplate('(&(mail=%s)'), /has 2 "\(" but 1 "\)"/);
  });

  it("reads filters as docker-mailserver's docs and tests write them: white space between parts, (|) and (&)", () => {
    // From docker-mailserver's test/tests/serial/mail_with_ldap.bats and its LDAP docs.
    const spaced =
      '(| (& (|(mail=%s) (mailAlias=%s) (mailGroupMember=%s)) (&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)) ) (&(mailAlias=%s)(objectClass=PostfixBookMailForward)) (userID=some.user.id))';
    assert.equal(
      normalizeFilterTemplate(spaced),
      '(|(&(|(mail=%s)(mailAlias=%s)(mailGroupMember=%s))(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)))(&(mailAlias=%s)(objectClass=PostfixBookMailForward))(userID=some.user.id))',
    );
    checkFilterTemplate(normalizeFilterTemplate(spaced));
    assert.equal(normalizeFilterTemplate('(|)'), '(!(objectClass=*))', 'matches nothing');
    assert.equal(normalizeFilterTemplate('(&(mail=%s)(& ))'), '(&(mail=%s)(objectClass=*))', 'matches anything');
    checkFilterTemplate(normalizeFilterTemplate('(&(mail=%s)(| ))'));
    // White space inside a value is the value's own.
    assert.equal(normalizeFilterTemplate('(&(cn=John Smith) (sn=a b))'), '(&(cn=John Smith)(sn=a b))');
  });
});
