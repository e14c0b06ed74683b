import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { systemAccount } from '../system-accounts.ts';

const run = promisify(execFile);

/**
 * DMS_VMAIL_UID and DMS_VMAIL_GID: vmail, who owns the mail, takes the ids the files of a docker-mailserver
 * volume carry. Only /etc/passwd and /etc/group change: usermod would otherwise re-own every file under
 * vmail's home, /var/mail, which holds the volume's own ids already.
 */
export async function applyVmailIds(wanted: { uid: number; gid: number }): Promise<void> {
  const current = await systemAccount('vmail');
  if (current.gid !== wanted.gid) {
    await refuseTaken('group', wanted.gid, 'DMS_VMAIL_GID');
    await run('groupmod', ['--gid', String(wanted.gid), 'vmail']);
  }
  if (current.uid !== wanted.uid) {
    await refuseTaken('passwd', wanted.uid, 'DMS_VMAIL_UID');
    await run('usermod', ['--home', NO_HOME, 'vmail']);
    await run('usermod', ['--uid', String(wanted.uid), 'vmail']);
  }
  // Also after a start that died between the two: the home is put back whenever it is not /var/mail.
  if ((await homeOf('vmail')) !== VMAIL_HOME) await run('usermod', ['--home', VMAIL_HOME, 'vmail']);
}

const VMAIL_HOME = '/var/mail';
const NO_HOME = '/nonexistent';

async function homeOf(user: string): Promise<string> {
  const { stdout } = await run('getent', ['passwd', user]);
  return stdout.trim().split(':')[5] ?? '';
}

/** An id another account of the image has would give it the mail (or vmail its rights). */
async function refuseTaken(database: 'passwd' | 'group', id: number, variable: string): Promise<void> {
  // getent exits 2 when nothing has the id.
  const owner = await run('getent', [database, String(id)]).then(
    ({ stdout }) => stdout.split(':')[0] ?? '',
    () => '',
  );
  if (owner !== '' && owner !== 'vmail')
    throw new Error(
      `${variable}: ${id} is the ${database === 'passwd' ? 'user' : 'group'} id of ${owner} in the image; allowed: an id no other account has (default 5000)`,
    );
}
