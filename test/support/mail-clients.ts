import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { StartedTestContainer } from 'testcontainers';
import { curlInside, STRANGER_HELO } from './stack.ts';

/** The SMTP reply code a stranger gets on port 25 for mail to this address (250 when accepted). */
export function inboundCode(mail: StartedTestContainer, to: string, subject = 'hello'): Promise<number> {
  return nodemailer
    .createTransport({
      host: mail.getHost(),
      port: mail.getMappedPort(25),
      secure: false,
      ignoreTLS: true,
      name: STRANGER_HELO,
    })
    .sendMail({ from: 'someone@elsewhere.example', to, subject, text: 'hello' })
    .then(
      () => 250,
      (error: Error & { responseCode?: number }) => error.responseCode ?? 0,
    );
}

/** An SMTP submission client on 587 (STARTTLS required, the appliance's certificate is self-signed). */
function submission(mail: StartedTestContainer, auth: SMTPTransport.Options['auth']) {
  return nodemailer.createTransport({
    host: mail.getHost(),
    port: mail.getMappedPort(587),
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth,
  });
}

/** Submission signing in with XOAUTH2 as this user. */
export const tokenSubmission = (mail: StartedTestContainer, user: string, accessToken: string) =>
  submission(mail, { type: 'OAuth2', user, accessToken });

/** Submission signing in with this user's password. */
export const passwordSubmission = (mail: StartedTestContainer, user: string, pass: string) =>
  submission(mail, { user, pass });

/** A token sign-in by curl inside the appliance (IMAP on 143, POP3 on 110): its exit code and output. */
export function curlTokenSignIn(
  mail: StartedTestContainer,
  protocol: 'imap' | 'pop3',
  user: string,
  token: string,
  mechanism = 'XOAUTH2',
) {
  const [port, request] = protocol === 'imap' ? [143, 'LOGOUT'] : [110, 'QUIT'];
  const login = ['--login-options', `AUTH=${mechanism}`, '--user', user, '--oauth2-bearer', token];
  return curlInside(mail, ['--url', `${protocol}://localhost:${port}`, ...login, '--request', request]);
}

/** curl's exit code for an XOAUTH2 sign-in inside the appliance (0 signed in, 67 refused). */
export async function tokenSignIn(
  mail: StartedTestContainer,
  protocol: 'imap' | 'pop3',
  user: string,
  token: string,
): Promise<number> {
  return (await curlTokenSignIn(mail, protocol, user, token)).exitCode;
}

/**
 * A password sign-in by curl inside the appliance: IMAP (143) and POP3 (110) log in and out, SMTP
 * submission (587, STARTTLS) sends a message to the user; `mechanism` leaves curl's choice when unset.
 */
export function curlPasswordSignIn(
  mail: StartedTestContainer,
  protocol: 'imap' | 'pop3' | 'smtp',
  user: string,
  password: string,
  mechanism?: string,
) {
  const submit = ['--ssl-reqd', '--insecure', '--url', 'smtp://localhost:587'];
  const target = {
    imap: ['--url', 'imap://localhost:143', '--request', 'LOGOUT'],
    pop3: ['--url', 'pop3://localhost:110', '--request', 'QUIT'],
    smtp: [...submit, '--mail-from', user, '--mail-rcpt', user, '--upload-file', '/etc/hostname'],
  };
  const login = mechanism === undefined ? [] : ['--login-options', `AUTH=${mechanism}`];
  return curlInside(mail, [...target[protocol], ...login, '--user', `${user}:${password}`]);
}
