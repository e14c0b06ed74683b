import { ImapFlow } from 'imapflow';
import type { StartedTestContainer } from 'testcontainers';
import { eventually } from './stack.ts';

export type ImapAuth = { user: string; pass: string } | { user: string; accessToken: string };

/** A connected IMAPS client of the appliance (its certificate is self-signed), signed in by password or token. */
export async function imapClient(mail: StartedTestContainer, auth: ImapAuth): Promise<ImapFlow> {
  const imap = new ImapFlow({
    host: mail.getHost(),
    port: mail.getMappedPort(993),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth,
    logger: false,
  });
  await imap.connect();
  return imap;
}

/** Whether a message with this subject arrives in the INBOX within a few seconds (IMAPS, password or token). */
export async function inboxReceives(mail: StartedTestContainer, auth: ImapAuth, subject: string): Promise<boolean> {
  const imap = await imapClient(mail, auth);
  try {
    const found = await eventually(
      async () => {
        const lock = await imap.getMailboxLock('INBOX');
        try {
          return (await imap.search({ subject })) || [];
        } finally {
          lock.release();
        }
      },
      (uids) => uids.length > 0,
      15_000,
    );
    return found.length > 0;
  } finally {
    await imap.logout();
  }
}
