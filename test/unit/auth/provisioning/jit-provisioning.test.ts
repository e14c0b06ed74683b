import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { AccountsFileStore } from '../../../../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../../../../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../../../../src/auth/accounts/file-directory.ts';
import { SignInPolicies } from '../../../../src/auth/policy/sign-in-policy.ts';
import { JitProvisioner } from '../../../../src/auth/provisioning/jit-provisioner.ts';
import { ProvisionedAccounts } from '../../../../src/auth/provisioning/provisioned-accounts.ts';
import { ProvisionedDirectory } from '../../../../src/auth/provisioning/provisioned-directory.ts';
import { DEFAULT_TEMPLATES, parseTemplates } from '../../../../src/config/provisioning-templates.ts';
import { openStateDatabase } from '../../../../src/state/state-database.ts';

const silent = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;

function setup(templates = 'default:5G:imap,smtp;staff:20G:imap,pop3,smtp,sieve') {
  const file = join(mkdtempSync(join(tmpdir(), 'idmail-jit-')), 'accounts.yaml');
  writeFileSync(file, 'accounts:\n  carol@example.org: {}\naliases:\n  team@example.org: [carol@example.org]\n');
  const db = openStateDatabase(':memory:');
  const accounts = new ProvisionedAccounts(db);
  const fixed = new FileDirectory(new AccountsFileStore(accountsFileSource(file), silent), ['example.org']);
  const directory = new ProvisionedDirectory(fixed, accounts);
  const policies = new SignInPolicies(db, {
    methods: ['token', 'app-password', 'password'],
    protocols: ['imap', 'pop3', 'smtp', 'sieve'],
  });
  const provisioner = new JitProvisioner({
    directory,
    accounts,
    policies,
    templates: parseTemplates(templates),
    log: silent,
  });
  return { accounts, directory, policies, provisioner };
}

describe('provisioning templates', () => {
  it('parse name:quota:protocols entries and require a default', () => {
    const templates = parseTemplates('default:5G:imap,smtp; staff:unlimited:imap pop3');
    assert.deepEqual(templates.get('default'), { name: 'default', quota: '5G', protocols: ['imap', 'smtp'] });
    assert.deepEqual(templates.get('staff'), { name: 'staff', quota: undefined, protocols: ['imap', 'pop3'] });
    assert.deepEqual(parseTemplates(DEFAULT_TEMPLATES).get('default')?.protocols, ['imap', 'pop3', 'smtp', 'sieve']);
    assert.throws(() => parseTemplates('staff:5G:imap'), /no template named default/);
    assert.throws(() => parseTemplates('default:lots:imap'), /is not a quota/);
    assert.throws(() => parseTemplates('default:5G:imap:extra'), /is not name:quota:protocols/);
    assert.throws(() => parseTemplates('default:5G:ftp'), /"ftp" is not one of the choices/);
  });
});

describe('just-in-time provisioning', () => {
  it('creates exactly one account under concurrent first sign-ins, with its template', async () => {
    const { accounts, directory, policies, provisioner } = setup();
    const results = await Promise.all(
      Array.from({ length: 25 }, () => provisioner.provision('New.User@Example.org', 'staff')),
    );
    assert.ok(results.every((account) => account?.address === 'new.user@example.org' && !account.disabled));
    assert.equal(accounts.list().length, 1);
    assert.deepEqual(await directory.accountByAddress('new.user@example.org'), {
      address: 'new.user@example.org',
      disabled: false,
      quota: '20G',
    });
    assert.deepEqual(policies.for('new.user@example.org').protocols, ['imap', 'pop3', 'smtp', 'sieve']);
  });

  it('uses the default template for none or an unknown one', async () => {
    const { directory, policies, provisioner } = setup();
    await provisioner.provision('dan@example.org', 'does-not-exist');
    assert.equal((await directory.accountByAddress('dan@example.org'))?.quota, '5G');
    assert.deepEqual(policies.for('dan@example.org').protocols, ['imap', 'smtp']);
  });

  it('creates nothing outside the served domains or for a name that is no address', async () => {
    const { accounts, provisioner } = setup();
    assert.equal(await provisioner.provision('eve@elsewhere.example', undefined), undefined);
    assert.equal(await provisioner.provision('not an address', undefined), undefined);
    assert.equal(accounts.list().length, 0);
  });

  it('serves provisioned accounts to Postfix and Dovecot, without a password of their own', async () => {
    const { directory, provisioner } = setup();
    await provisioner.provision('fay@example.org', undefined);
    assert.equal((await directory.checkPassword('fay@example.org', 'anything')).outcome, 'no_password');
    assert.equal((await directory.checkPassword('nobody@example.org', 'anything')).outcome, 'unknown_user');
    assert.deepEqual(await directory.sendersFor('fay@example.org'), ['fay@example.org']);
    assert.equal((await directory.accountByAddress('carol@example.org'))?.address, 'carol@example.org');
  });

  it('never makes a mailbox of an alias, a sub-address, a role address, or a name that only Unicode case mapping makes an address', async () => {
    const { accounts, provisioner } = setup();
    for (const name of [
      'team@example.org',
      'carol+news@example.org',
      'postmaster@example.org',
      'abuse@example.org',
      'mailer-daemon@example.org',
      '\u212Aaren@example.org',
    ]) {
      assert.equal(await provisioner.provision(name, undefined), undefined, name);
    }
    assert.deepEqual(accounts.list(), []);
  });
});
