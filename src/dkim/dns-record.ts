import type { DkimKey } from './dkim-keys.ts';

// A TXT record's character-strings hold at most 255 octets each; resolvers join them again.
const MAX_STRING = 255;

function characterStrings(value: string): string[] {
  const parts: string[] = [];
  for (let start = 0; start < value.length; start += MAX_STRING) parts.push(value.slice(start, start + MAX_STRING));
  return parts;
}

/** The zone-file line to publish for a key: `SELECTOR._domainkey.DOMAIN. IN TXT "v=DKIM1; k=rsa; p=…" "…"`. */
export function dkimRecord(key: DkimKey): string {
  const value = `v=DKIM1; k=${key.keyType}; p=${key.publicKey}`;
  const strings = characterStrings(value).map((part) => `"${part}"`);
  return `${key.selector}._domainkey.${key.domain}. IN TXT ${strings.join(' ')}`;
}
