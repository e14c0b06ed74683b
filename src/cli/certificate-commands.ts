import type { Command } from 'commander';
import type { Settings } from '../config/settings.ts';

/** The exit code of a sync whose source files make no valid pair: the certificates service then waits for them to change. */
const REFUSED_EXIT_CODE = 3;

export function certificateCommands(program: Command, settings: () => Settings): void {
  const command = program
    .command('certificates')
    .description('the certificate of the mail ports and the HTTPS listener (SSL_TYPE)');
  command
    .command('sync')
    .description(
      `as root: check the certificate's source files, install the pair and reload Dovecot, Postfix and the HTTPS listener (the certificates service runs it when the files change; exit ${REFUSED_EXIT_CODE}: no valid pair, the one in use stays)`,
    )
    .action(async () => {
      const { syncCertificates } = await import('../certificates/certificate-install.ts');
      if ((await syncCertificates(settings())) === 'refused') process.exitCode = REFUSED_EXIT_CODE;
    });
}
