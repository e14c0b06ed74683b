import nodemailer from 'nodemailer';
import type { StartedTestContainer } from 'testcontainers';
import { curlInside } from './stack.ts';

/** The SMTP reply code a stranger gets on port 25 for mail to this address (250 when accepted). */
export function inboundCode(mail: StartedTestContainer, to: string, subject = 'hello'): Promise<number> {
  return nodemailer
    .createTransport({ host: mail.getHost(), port: mail.getMappedPort(25), secure: false, ignoreTLS: true })
    .sendMail({ from: 'someone@elsewhere.example', to, subject, text: 'hello' })
    .then(
      () => 250,
      (error: Error & { responseCode?: number }) => error.responseCode ?? 0,
    );
}

/** An SMTP submission client on 587 (STARTTLS required) signing in with XOAUTH2 as this user. */
export function tokenSubmission(mail: StartedTestContainer, user: string, accessToken: string) {
  return nodemailer.createTransport({
    host: mail.getHost(),
    port: mail.getMappedPort(587),
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { type: 'OAuth2', user, accessToken },
  });
}

/** curl's exit code for an XOAUTH2 sign-in inside the appliance (0 signed in, 67 refused). */
export function tokenSignIn(
  mail: StartedTestContainer,
  protocol: 'imap' | 'pop3',
  user: string,
  token: string,
): Promise<number> {
  const [port, request] = protocol === 'imap' ? [143, 'LOGOUT'] : [110, 'QUIT'];
  return curlInside(mail, [
    '--url',
    `${protocol}://localhost:${port}`,
    '--login-options',
    'AUTH=XOAUTH2',
    '--user',
    user,
    '--oauth2-bearer',
    token,
    '--request',
    request,
  ]).then((result) => result.exitCode);
}
