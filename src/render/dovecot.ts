import type { Settings } from '../config/settings.ts';
import { renderTemplate, type RenderedFile } from './templates.ts';

export async function renderDovecot(settings: Settings): Promise<RenderedFile[]> {
  const { oauth2, paths } = settings;
  const protocols = ['imap', ...(settings.enablePop3 ? ['pop3'] : []), ...(settings.enableManageSieve ? ['managesieve'] : [])];
  const view = {
    hostname: settings.hostname,
    postmaster: settings.postmaster,
    debug: settings.logLevel === 'debug' || settings.logLevel === 'trace',
    enablePop3: settings.enablePop3,
    enableManageSieve: settings.enableManageSieve,
    allowPlaintextAuth: settings.allowPlaintextAuth,
    helperUrl: settings.helper.url,
    baseDir: paths.dovecotBaseDir,
    luaScript: paths.luaScript,
    deduplicateSieve: paths.deduplicateSieve,
    mailRoot: paths.mail,
    postfixSpool: paths.postfixQueue,
    tls: settings.tls,
    quotas: settings.ldap?.attributes.quota !== undefined || settings.provisioning !== undefined,
    performanceMode: settings.loginProcessMode === 'performance',
    loginServices: protocols.map((name) => ({ name, processMinAvail: name === 'imap' ? 4 : 1 })),
    oauth2:
      oauth2 === undefined
        ? false
        : { openidConfigurationUrl: oauth2.discoveryUrl ?? false },
  };
  return [{ path: paths.dovecotConfig, content: await renderTemplate('dovecot/dovecot.conf.hbs', view) }];
}
