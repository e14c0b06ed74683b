import type { Settings } from '../config/settings.ts';
import { type RenderedFile, renderTemplate } from './templates.ts';

/**
 * rspamd's settings that depend on the environment; the rest ship with the image (/etc/rspamd/local.d),
 * so the hyperscan cache made at build still fits. Each is written on every start rspamd runs, so a
 * feature switched off leaves nothing of its last start behind.
 */
export async function renderRspamd(settings: Settings): Promise<RenderedFile[]> {
  const { filter, paths } = settings;
  if (filter === undefined) return [];
  const view = { redis: filter.redis, greylisting: filter.greylisting, valkeySocket: paths.valkeySocket };
  const localConfig = paths.rspamdLocalConfig;
  return [
    { path: `${localConfig}/redis.conf`, content: await renderTemplate('rspamd/redis.conf.hbs', view) },
    {
      path: `${localConfig}/worker-controller.inc`,
      content: await renderTemplate('rspamd/worker-controller.inc.hbs', view),
    },
    // override.d: rspamd's own greylist settings would otherwise turn it on as soon as Redis is there.
    {
      path: `${paths.rspamdOverrideConfig}/greylist.conf`,
      content: await renderTemplate('rspamd/greylist.conf.hbs', view),
    },
  ];
}
