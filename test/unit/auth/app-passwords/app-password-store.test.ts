import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newAppPasswordSecret, parseAppPassword } from '../../../../src/auth/app-passwords/app-password-secret.ts';
import { AppPasswordStore } from '../../../../src/auth/app-passwords/app-password-store.ts';
import { openStateDatabase, SCHEMA_VERSION } from '../../../../src/state/state-database.ts';

const memoryStore = () => new AppPasswordStore(openStateDatabase(':memory:'));

describe('app passwords', () => {
  it('are made with a scannable prefix, an id and 160 random bits, and parse back', () => {
    const made = newAppPasswordSecret();
    assert.match(made.text, /^idmail_[0-9a-f]{16}_[0-9a-f]{40}$/);
    assert.deepEqual(parseAppPassword(made.text), { id: made.id, secret: made.secret });
    assert.notEqual(newAppPasswordSecret().text, made.text);
    for (const other of [
      'hunter2',
      `${made.text}x`,
      made.text.toUpperCase(),
      made.text.replace('idmail_', 'idmail-'),
      ` ${made.text}`,
    ]) {
      assert.equal(parseAppPassword(other), undefined, other);
    }
  });

  it('check by id with one hash: right secret matches, a changed one does not, an ordinary password is not theirs', () => {
    const store = memoryStore();
    const { password, appPassword } = store.create('Alice@Example.org', {
      name: 'phone',
      protocols: ['imap', 'smtp'],
      madeBy: 'admin',
    });
    assert.equal(appPassword.account, 'alice@example.org');
    const check = store.check(password);
    assert.equal(check?.outcome, 'match');
    assert.deepEqual(check?.outcome === 'match' && check.appPassword.protocols, ['imap', 'smtp']);
    const tampered = password.slice(0, -1) + (password.endsWith('0') ? '1' : '0');
    assert.equal(store.check(tampered)?.outcome, 'mismatch');
    assert.equal(store.check(newAppPasswordSecret().text)?.outcome, 'mismatch');
    assert.equal(store.check('an ordinary password'), undefined);
  });

  it('expire, and are gone at once when revoked', () => {
    const store = memoryStore();
    const now = new Date('2026-01-01T00:00:00Z');
    const { password, appPassword } = store.create('alice@example.org', {
      name: 'x',
      protocols: ['imap'],
      expiresAt: new Date('2026-02-01T00:00:00Z'),
      madeBy: 'admin',
    });
    assert.equal(store.check(password, now)?.outcome, 'match');
    assert.equal(store.check(password, new Date('2026-02-01T00:00:00Z'))?.outcome, 'expired');
    assert.equal(store.revoke('bob@example.org', appPassword.id), false);
    assert.equal(store.revoke('alice@example.org', appPassword.id), true);
    assert.equal(store.check(password, now)?.outcome, 'mismatch');
    assert.deepEqual(store.list('alice@example.org'), []);
  });

  it('lists names, protocols and last use, never secrets, and records use at most once a minute', () => {
    const store = memoryStore();
    const { appPassword } = store.create('alice@example.org', { name: 'laptop', protocols: ['imap'], madeBy: 'admin' });
    const first = new Date('2026-03-01T10:00:00Z');
    store.recordUse(appPassword, '192.0.2.1', first);
    const [listed] = store.list('alice@example.org');
    assert.equal(listed?.lastUsedAt?.getTime(), first.getTime());
    assert.equal(listed?.lastUsedIp, '192.0.2.1');
    assert.ok(!JSON.stringify(listed).includes('secret'));
    store.recordUse(listed!, '192.0.2.1', new Date(first.getTime() + 30_000));
    assert.equal(store.list('alice@example.org')[0]?.lastUsedAt?.getTime(), first.getTime());
    store.recordUse(listed!, '192.0.2.1', new Date(first.getTime() + 61_000));
    assert.equal(store.list('alice@example.org')[0]?.lastUsedAt?.getTime(), first.getTime() + 61_000);
  });

  it('survive a reopen of the database file (a restart), migrations applied once', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-state-')), 'idmail.db');
    const first = openStateDatabase(path);
    const { password } = new AppPasswordStore(first).create('alice@example.org', {
      name: 'x',
      protocols: ['imap'],
      madeBy: 'admin',
    });
    const second = openStateDatabase(path);
    first.close();
    assert.equal(new AppPasswordStore(second).check(password)?.outcome, 'match');
    assert.equal(
      (second.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
      SCHEMA_VERSION,
    );
    assert.equal((second.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    second.close();
  });
});
