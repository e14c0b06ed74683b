import type { Settings } from '../config/settings.ts';
import { POSTFIX_MAPS } from '../vocabulary/wire-contract.ts';
import { QUOTA_STATUS_SOCKET } from './dovecot.ts';
import { relayFiles, relayView } from './relay.ts';
import { smtpdServices } from './smtpd-services.ts';
import { type RenderedFile, renderTemplate } from './templates.ts';
import { mynetworks } from './trusted-networks.ts';

export async function renderPostfix(
  settings: Settings,
  networks: string[] = mynetworks(settings.permitDocker),
): Promise<RenderedFile[]> {
  const { paths } = settings;
  const view = {
    hostname: settings.hostname,
    inetProtocols: settings.inetProtocols.postfix,
    postmaster: settings.postmaster,
    messageSizeLimit: settings.messageSizeLimit,
    relay: relayView(settings),
    postfixSpool: paths.postfixQueue,
    postfixData: `${paths.state}/postfix-data`,
    maps: Object.fromEntries(POSTFIX_MAPS.map((name) => [name, `socketmap:unix:${paths.socketmap}:${name}`])),
    mynetworks: networks.join(' '),
    smtpd: smtpdServices(settings),
    postscreenAction: settings.postscreenAction,
    tls: settings.tls,
    quotaStatus: settings.quotas === undefined ? false : QUOTA_STATUS_SOCKET,
    milter: settings.filter === undefined ? false : paths.milterSocket,
  };
  const dir = paths.postfixConfigDir;
  return [
    { path: `${dir}/main.cf`, content: await renderTemplate('postfix/main.cf.hbs', view) },
    { path: `${dir}/master.cf`, content: await renderTemplate('postfix/master.cf.hbs', view) },
    ...relayFiles(settings),
  ];
}
