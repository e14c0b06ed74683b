import type { Settings } from '../config/settings.ts';
import { smtpdServices } from './smtpd-services.ts';
import { renderTemplate, type RenderedFile } from './templates.ts';
import { mynetworks } from './trusted-networks.ts';

export async function renderPostfix(settings: Settings, networks: string[] = mynetworks(settings.permitDocker)): Promise<RenderedFile[]> {
  const { paths } = settings;
  const view = {
    hostname: settings.hostname,
    postmaster: settings.postmaster,
    postfixSpool: paths.postfixQueue,
    postfixData: `${paths.state}/postfix-data`,
    socketmap: paths.socketmap,
    mynetworks: networks.join(' '),
    smtpd: smtpdServices(settings),
    tls: settings.tls,
  };
  const dir = paths.postfixConfigDir;
  return [
    { path: `${dir}/main.cf`, content: await renderTemplate('postfix/main.cf.hbs', view) },
    { path: `${dir}/master.cf`, content: await renderTemplate('postfix/master.cf.hbs', view) },
  ];
}
