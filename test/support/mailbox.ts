import { ImapFlow } from 'imapflow';
import type { StartedTestContainer } from 'testcontainers';
import { eventually } from './stack.ts';

export type ImapAuth = { user: string; pass: string } | { user: string; accessToken: string };

/** Whether a message with this subject arrives in the INBOX within a few seconds (IMAPS, password or token). */
export async function inboxReceives(mail: StartedTestContainer, auth: ImapAuth, subject: string): Promise<boolean> {
  const imap = new ImapFlow({
    host: mail.getHost(),
    port: mail.getMappedPort(993),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth,
    logger: false,
  });
  await imap.connect();
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
