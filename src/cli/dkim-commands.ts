import type { Command } from 'commander';
import type { Settings } from '../config/settings.ts';
import { listDkimKeys, retireDkimKey, rotateDkimKey } from '../dkim/dkim-keys.ts';
import { dkimRecord } from '../dkim/dns-record.ts';
import { reloadRspamd } from '../dkim/rspamd-reload.ts';
import { dkimKeyStore, signingDomains } from '../dkim/signing-domains.ts';
import { parseDomain } from '../vocabulary/address.ts';

function filterOn(settings: Settings): NonNullable<Settings['filter']> {
  if (settings.filter === undefined) throw new Error('rspamd is off (ENABLE_RSPAMD=0): nothing here signs mail');
  return settings.filter;
}

export function dkimCommands(program: Command, currentSettings: () => Settings): void {
  const command = program
    .command('dkim')
    .description('the DKIM keys outbound mail is signed with, and their DNS records');
  command
    .command('show [domain]')
    .description('the TXT record to publish for each key (one zone-file line each)')
    .action(async (domain?: string) => {
      const settings = currentSettings();
      filterOn(settings);
      const keys = await listDkimKeys(await dkimKeyStore(settings), domain && parseDomain(domain));
      if (keys.length === 0)
        throw new Error(`no DKIM key${domain ? ` for ${domain}` : ''}: keys are made at start for served domains`);
      for (const key of keys) {
        if (!key.active)
          console.log(
            `; ${key.selector} no longer signs ${key.domain}: keep it published a few days, then idmail dkim retire ${key.domain} ${key.selector}`,
          );
        console.log(dkimRecord(key));
      }
    });
  command
    .command('rotate <domain>')
    .description('a new key under a new selector signs from now on; the old one stays published until retired')
    .action(async (domain: string) => {
      const settings = currentSettings();
      const store = await dkimKeyStore(settings);
      const name = parseDomain(domain);
      const selector = await rotateDkimKey(store, filterOn(settings).dkim, name, await signingDomains(settings));
      await reloadRspamd(settings);
      const [key] = (await listDkimKeys(store, name)).filter((candidate) => candidate.selector === selector);
      console.log(`; ${name} is signed with ${selector} from now on; publish:`);
      if (key !== undefined) console.log(dkimRecord(key));
    });
  command
    .command('retire <domain> <selector>')
    .description('remove a key that no longer signs (remove its DNS record too)')
    .action(async (domain: string, selector: string) => {
      const settings = currentSettings();
      filterOn(settings);
      await retireDkimKey(await dkimKeyStore(settings), parseDomain(domain), selector);
      console.log(`${selector}._domainkey.${parseDomain(domain)}: retired; remove its TXT record`);
    });
}
