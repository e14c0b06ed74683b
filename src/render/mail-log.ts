import type { Settings } from '../config/settings.ts';
import { type RenderedFile, renderTemplate } from './templates.ts';

/** rsyslog's settings: Dovecot's and Postfix's lines to standard output and /var/log/mail/mail.log. */
export async function renderMailLog(settings: Settings): Promise<RenderedFile[]> {
  const view = { hostLabel: settings.hostname.split('.')[0], mailLog: settings.paths.mailLog };
  return [{ path: settings.paths.rsyslogConfig, content: await renderTemplate('rsyslog/rsyslog.conf.hbs', view) }];
}

/** logrotate's instructions for /var/log/mail/mail.log, read by the logrotate service from its own directory. */
export function renderMailLogRotation(settings: Settings): Promise<string> {
  const { mailLogRotation, paths } = settings;
  return renderTemplate('logrotate/mail-log.conf.hbs', {
    mailLog: paths.mailLog,
    interval: mailLogRotation.interval,
    count: mailLogRotation.count,
    rsyslogService: `${paths.services}/rsyslog`,
  });
}
