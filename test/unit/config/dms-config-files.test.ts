import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DMS_CONFIG_FILES, dmsConfigFolderReport } from '../../../src/config/dms-config-files.ts';

const DMS_DOCS_FILES = new URL('../../fixtures/docker-mailserver/config-folder-files.txt', import.meta.url);

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'idmail-dms-files-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(folder, name, '..'), { recursive: true });
    writeFileSync(join(folder, name), content);
  }
  return folder;
}

describe("docker-mailserver's config folder, file by file", () => {
  it('has a decision for every file and folder DMS documents there', () => {
    const documented = readFileSync(DMS_DOCS_FILES, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#') && !line.includes('{'));
    const undecided = documented.filter((name) => DMS_CONFIG_FILES[name] === undefined);
    assert.deepEqual(undecided, []);
  });

  it('has the migration guide name every file it refuses', () => {
    const guide = readFileSync(new URL('../../../docs/migrating-from-docker-mailserver.md', import.meta.url), 'utf8');
    const refusedNames = Object.entries(DMS_CONFIG_FILES)
      .filter(([, decision]) => decision.kind === 'refused')
      .map(([name]) => name.replace(/^ldap-.*/, 'ldap-*.cf'));
    assert.deepEqual(
      refusedNames.filter((name) => !guide.includes(`\`${name}`)),
      [],
    );
  });

  it('stops the start on a file it does not read that has an entry, naming it and what happens here instead', () => {
    const folder = folderWith({
      'postfix-main.cf': 'smtpd_banner = hello\n',
      'dovecot-masters.cf': 'admin|{SHA512-CRYPT}$6$x\n',
      'rspamd/override.d/actions.conf': 'reject = 100;\n',
      'sieve-pipe/script.sh': 'echo\n',
    });
    const { problems } = dmsConfigFolderReport(folder);
    assert.deepEqual(
      problems.map((problem) => problem.slice(folder.length + 1).split(':')[0]),
      ['dovecot-masters.cf', 'postfix-main.cf', 'sieve-pipe', 'rspamd/override.d'],
    );
    assert.match(
      problems[0] ?? '',
      /dovecot-masters\.cf: docker-mailserver's dovecot-masters\.cf, not read here: no master logins.*; allowed: without it \(see docs\/migrating-from-docker-mailserver\.md\)$/,
    );
  });

  it('accepts what it reads, those files with comments only, and says what it leaves alone', () => {
    const folder = folderWith({
      'postfix-accounts.cf': 'alice@example.test|{SHA512-CRYPT}$6$x\n',
      'alice@example.test.dovecot.sieve': 'keep;\n',
      'rspamd/dkim/rsa-2048-mail-example.test.private.txt': 'key',
      'opendkim/KeyTable': 'x',
      'user-patches.sh': '#!/bin/bash\n# nothing to patch\n\n',
      'ssl/cert.pem': 'x',
      'notes.txt': 'mine',
    });
    const { problems, notices } = dmsConfigFolderReport(folder);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      notices.map((notice) => notice.slice(folder.length + 1)),
      [
        'notes.txt: not a file docker-mailserver or idmail reads; left alone',
        'ssl: not read: SSL_TYPE=self-signed makes its own certificate; SSL_TYPE=manual with SSL_CERT_PATH serves one of these',
      ],
    );
    assert.deepEqual(dmsConfigFolderReport(join(folder, 'missing')), { problems: [], notices: [] });
  });
});
