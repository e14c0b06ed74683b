import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings, type Settings } from '../../../src/config/settings.ts';
import { installDmsSieveScripts } from '../../../src/startup/dms-sieve-scripts.ts';

/** Settings whose config folder and installed global scripts are in a scratch directory. */
function scratchSettings(): { settings: Settings; folder: string; installed: string } {
  const root = mkdtempSync(join(tmpdir(), 'idmail-dms-sieve-'));
  const [folder, installed] = [join(root, 'dms'), join(root, 'etc')];
  mkdirSync(folder);
  mkdirSync(installed);
  const loaded = loadSettings({ OVERRIDE_HOSTNAME: 'mail.example.org' });
  const paths = {
    ...loaded.paths,
    dmsConfigFolder: folder,
    mail: join(root, 'mail'),
    dmsSieveBefore: join(installed, 'dms-before.sieve'),
    dmsSieveAfter: join(installed, 'dms-after.sieve'),
  };
  return { settings: { ...loaded, paths } as Settings, folder, installed };
}

describe("docker-mailserver's Sieve files at start", () => {
  it('stops on a script whose name is no mailbox, before anything is written', async () => {
    const { settings, folder } = scratchSettings();
    writeFileSync(join(folder, 'not-an-address.dovecot.sieve'), 'keep;\n');
    await assert.rejects(
      installDmsSieveScripts(settings),
      /not-an-address\.dovecot\.sieve in docker-mailserver's config folder names no mailbox .*allowed: <address>\.dovecot\.sieve, before\.dovecot\.sieve, after\.dovecot\.sieve/,
    );
    assert.equal(existsSync(settings.paths.mail), false);
  });

  it('removes a global script whose file the folder no longer has, so it stops applying', async () => {
    const { settings, installed } = scratchSettings();
    for (const name of ['dms-before.sieve', 'dms-before.svbin', 'dms-after.sieve'])
      writeFileSync(join(installed, name), '');
    assert.deepEqual(await installDmsSieveScripts({ ...settings, dmsSieve: { before: false, after: false } }), []);
    for (const name of ['dms-before.sieve', 'dms-before.svbin', 'dms-after.sieve'])
      assert.equal(existsSync(join(installed, name)), false, name);
  });
});
