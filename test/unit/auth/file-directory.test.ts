import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { AccountsFileStore } from '../../../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../../../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../../../src/auth/accounts/file-directory.ts';
import { hasMailbox } from '../../../src/auth/directory.ts';

const silent = { info() {}, error() {} } as unknown as FastifyBaseLogger;

function directory(yaml: string, domains: string[] = []): FileDirectory {
  const file = join(mkdtempSync(join(tmpdir(), 'idmail-dir-')), 'accounts.yaml');
  writeFileSync(file, yaml);
  return new FileDirectory(new AccountsFileStore(accountsFileSource(file), silent), domains);
}

const YAML = `accounts:
  alice@a.example: {}
  off@a.example: { disabled: true }
aliases:
  team@b.example: [alice@a.example, off@a.example, gone@a.example]
`;

describe('accounts file directory', () => {
  it('serves MAIL_DOMAINS and every domain with an account or alias, nothing else', async () => {
    const dir = directory(YAML, ['c.example']);
    for (const domain of ['a.example', 'B.example', 'c.example'])
      assert.equal(await dir.servesDomain(domain), true, domain);
    assert.equal(await dir.servesDomain('example'), false);
    assert.equal(await dir.servesDomain('d.example'), false);
  });

  it('has mailboxes only for enabled accounts', async () => {
    const dir = directory(YAML);
    assert.equal(await hasMailbox(dir, 'Alice@a.example'), true);
    assert.equal(await hasMailbox(dir, 'off@a.example'), false);
    assert.equal(await hasMailbox(dir, 'team@b.example'), false);
  });

  it('lets only enabled accounts behind an address send as it', async () => {
    const dir = directory(YAML);
    assert.deepEqual(await dir.sendersFor('team@b.example'), ['alice@a.example']);
    assert.deepEqual(await dir.sendersFor('alice@a.example'), ['alice@a.example']);
    assert.deepEqual(await dir.sendersFor('nobody@a.example'), []);
  });
});
