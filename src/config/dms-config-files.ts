import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every file and folder docker-mailserver reads from its config folder (docs/content/config/advanced/
 * optional-config.md), with what idmail does with it. Nothing there is ignored without a word:
 * - `read`: idmail reads it (accounts, aliases, quotas, relay tables, Sieve, DKIM keys);
 * - `refused`: it stops the start while it has an entry (a line that is neither blank nor a `#` comment;
 *   a folder: any file), saying what happens here instead;
 * - `notice`: harmless here; the start log says what happens instead.
 * Any other name gets a notice that it is not read.
 */
type FolderDecision = { kind: 'read' } | { kind: 'refused'; here: string } | { kind: 'notice'; here: string };

const read: FolderDecision = { kind: 'read' };
const refused = (here: string): FolderDecision => ({ kind: 'refused', here });
const notice = (here: string): FolderDecision => ({ kind: 'notice', here });

const RENDERED = 'Dovecot and Postfix are configured from the environment here (docs/configuration.md)';

export const DMS_CONFIG_FILES: Readonly<Record<string, FolderDecision>> = {
  'postfix-accounts.cf': read,
  'postfix-virtual.cf': read,
  'dovecot-quotas.cf': read,
  'postfix-relaymap.cf': read,
  'postfix-sasl-password.cf': read,
  'before.dovecot.sieve': read,
  'after.dovecot.sieve': read,
  opendkim: read,
  rspamd: read,
  'postfix-main.cf': refused(RENDERED),
  'postfix-master.cf': refused(RENDERED),
  'dovecot.cf': refused(RENDERED),
  'user-patches.sh': refused('no script of yours runs at start; say what it did with our variables'),
  'postfix-regexp.cf': refused('no regular-expression aliases; list each alias in postfix-virtual.cf'),
  'postfix-aliases.cf': refused(
    "no local (system) aliases: postmaster@ and abuse@ of every domain go to POSTMASTER_ADDRESS; others are postfix-virtual.cf's",
  ),
  'dovecot-masters.cf': refused('no master logins: one person never signs in as another'),
  'postfix-send-access.cf': refused(
    'no per-address send restrictions (setup email restrict); disable the account instead',
  ),
  'postfix-receive-access.cf': refused(
    'no per-address receive restrictions (setup email restrict); disable the account instead',
  ),
  'fetchmail.cf': refused('no fetchmail: mail is not fetched from other servers'),
  getmail: refused('no getmail: mail is not fetched from other servers'),
  'whitelist_clients.local': refused('no Postgrey: rspamd greylists, and only doubtful mail (ENABLE_POSTGREY)'),
  whitelist_recipients: refused('no Postgrey: rspamd greylists, and only doubtful mail (ENABLE_POSTGREY)'),
  'dhparams.pem': notice("not read: Postfix's built-in DH groups and Dovecot's defaults serve TLS here"),
  'spamassassin-rules.cf': refused('no SpamAssassin: rspamd scores spam (ENABLE_RSPAMD)'),
  'amavis.cf': refused('no Amavis: rspamd filters as Postfix milter (ENABLE_RSPAMD)'),
  'fail2ban-fail2ban.cf': refused('no Fail2Ban: BRUTE_FORCE_PROTECTION refuses repeated failed sign-ins'),
  'fail2ban-jail.cf': refused('no Fail2Ban: BRUTE_FORCE_PROTECTION refuses repeated failed sign-ins'),
  'postfix-policyd-spf.conf': refused('no policyd-spf: rspamd checks SPF'),
  'ldap-users.cf': refused('LDAP is configured by the LDAP_* variables (docs/ldap.md)'),
  'ldap-groups.cf': refused('LDAP is configured by the LDAP_* variables (docs/ldap.md)'),
  'ldap-aliases.cf': refused('LDAP is configured by the LDAP_* variables (docs/ldap.md)'),
  'ldap-domains.cf': refused('LDAP is configured by the LDAP_* variables (docs/ldap.md)'),
  'ldap-senders.cf': refused('LDAP is configured by the LDAP_* variables (docs/ldap.md)'),
  'sieve-filter': refused('Sieve runs no programs here (vnd.dovecot.filter)'),
  'sieve-pipe': refused('Sieve runs no programs here (vnd.dovecot.pipe)'),
  ssl: notice(
    'not read: SSL_TYPE=self-signed makes its own certificate; SSL_TYPE=manual with SSL_CERT_PATH serves one of these',
  ),
};

/** Inside rspamd/: the keys are read; DMS's overrides and commands would change the filter unseen. */
const RSPAMD_ENTRIES: Readonly<Record<string, FolderDecision>> = {
  dkim: read,
  'override.d': refused(
    "rspamd's settings are rendered here (docs/mail-flow.md); say what they did with our variables",
  ),
  'local.d': refused("rspamd's settings are rendered here (docs/mail-flow.md); say what they did with our variables"),
  'custom-commands.conf': refused(
    "rspamd's settings are rendered here (docs/mail-flow.md); say what they did with our variables",
  ),
};

const GUIDE = 'see docs/migrating-from-docker-mailserver.md';
const USER_SCRIPT = /\.dovecot\.sieve$/;

/** What the start says about the config folder's files: each one idmail does not read, refused or noticed. */
export function dmsConfigFolderReport(folder: string): { problems: string[]; notices: string[] } {
  const problems: string[] = [];
  const notices: string[] = [];
  const judge = (path: string, name: string, decision: FolderDecision | undefined) => {
    if (decision?.kind === 'read') return;
    if (decision === undefined) notices.push(`${path}: not a file docker-mailserver or idmail reads; left alone`);
    else if (decision.kind === 'notice') notices.push(`${path}: ${decision.here}`);
    else if (hasEntries(path))
      problems.push(
        `${path}: docker-mailserver's ${name}, not read here: ${decision.here}; allowed: without it (${GUIDE})`,
      );
  };
  for (const name of entriesOf(folder)) {
    if (USER_SCRIPT.test(name)) continue;
    judge(join(folder, name), name, DMS_CONFIG_FILES[name]);
  }
  for (const name of entriesOf(join(folder, 'rspamd')))
    judge(join(folder, 'rspamd', name), `rspamd/${name}`, RSPAMD_ENTRIES[name]);
  return { problems, notices };
}

function entriesOf(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

/** A file with a line that is neither blank nor a comment; a folder with any file in it. */
function hasEntries(path: string): boolean {
  if (statSync(path).isDirectory()) return readdirSync(path, { recursive: true }).length > 0;
  return readFileSync(path, 'utf8')
    .split('\n')
    .some((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}
