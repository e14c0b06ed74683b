import { generateKeyPairSync } from 'node:crypto';
import { access, chmod, chown, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DkimSettings } from '../config/filter-settings.ts';
import { type DkimKeyType, dkimPublicKey } from './dkim-key-material.ts';

/** One DKIM key of a served domain, as `idmail dkim show` lists it. */
export interface DkimKey {
  domain: string;
  selector: string;
  /** The key new mail is signed with; the others stay published until retired. */
  active: boolean;
  keyType: DkimKeyType;
  /** The public key as DNS publishes it (RSA: base64 DER, SubjectPublicKeyInfo; ed25519: base64 of the raw key). */
  publicKey: string;
}

/** Where the keys live: made here (`dir`), or brought along (`mountedDir`, docker-mailserver's folder; read-only). */
export interface DkimKeyStore {
  dir: string;
  mountedDir: string;
  /** docker-mailserver's config folder, whose OpenDKIM and rspamd keys are taken as they are. */
  dmsFolder?: string;
  /** The group rspamd runs as, which must read the keys (unset: leave ownership alone, as in tests). */
  readerGid?: number;
}

const KEY_FILE = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.key$/;
const ACTIVE_FILE = 'active';

const domainDir = (store: DkimKeyStore, domain: string) => join(store.dir, domain);
const keyPath = (store: DkimKeyStore, domain: string, selector: string) =>
  join(domainDir(store, domain), `${selector}.key`);

async function selectorsIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.flatMap((name) => KEY_FILE.exec(name)?.[1] ?? []).sort();
}

/** A key brought along: its selector, and the file. */
interface BroughtKey {
  selector: string;
  path: string;
}

const SELECTOR = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A domain's keys brought along, ours first: `/etc/idmail/dkim/<domain>/<selector>.key`, then
 * docker-mailserver's OpenDKIM (`opendkim/keys/<domain>/<selector>.private`) and rspamd
 * (`rspamd/dkim/rsa-<bits>-<selector>-<domain>.private.txt`, `ed25519-<selector>-<domain>.private.txt`) keys,
 * so its published records stay valid.
 */
async function broughtKeys(store: DkimKeyStore, domain: string): Promise<BroughtKey[]> {
  const ours = (await selectorsIn(join(store.mountedDir, domain))).map((selector) => ({
    selector,
    path: join(store.mountedDir, domain, `${selector}.key`),
  }));
  if (store.dmsFolder === undefined) return ours;
  const openDkimDir = join(store.dmsFolder, 'opendkim', 'keys', domain);
  const openDkim = (await readdir(openDkimDir).catch(() => [] as string[]))
    .flatMap((name) => new RegExp(`^(${SELECTOR})\\.private$`).exec(name)?.[1] ?? [])
    .map((selector) => ({ selector, path: join(openDkimDir, `${selector}.private`) }));
  const rspamdDir = join(store.dmsFolder, 'rspamd', 'dkim');
  const rspamdName = new RegExp(`^(?:rsa-\\d+|ed25519)-(${SELECTOR})-${escaped(domain)}\\.private\\.txt$`);
  const rspamd = (await readdir(rspamdDir).catch(() => [] as string[])).flatMap((name) => {
    const selector = rspamdName.exec(name)?.[1];
    return selector === undefined ? [] : [{ selector, path: join(rspamdDir, name) }];
  });
  return [...ours, ...openDkim, ...rspamd].sort((a, b) => a.selector.localeCompare(b.selector));
}

async function activeSelector(store: DkimKeyStore, domain: string): Promise<string | undefined> {
  const text = await readFile(join(domainDir(store, domain), ACTIVE_FILE), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** Writes a file readable by root and rspamd only, replacing the old one at once (never half-written). */
async function writePrivate(store: DkimKeyStore, path: string, content: string): Promise<void> {
  const temporary = `${path}.new`;
  await writeFile(temporary, content, { mode: 0o640 });
  await chmod(temporary, 0o640);
  if (store.readerGid !== undefined) await chown(temporary, 0, store.readerGid);
  await rename(temporary, path);
}

async function ensureDir(store: DkimKeyStore, path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o750 });
  await chmod(path, 0o750);
  if (store.readerGid !== undefined) await chown(path, 0, store.readerGid);
}

function newPrivateKey(bits: number): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

async function setActive(store: DkimKeyStore, domain: string, selector: string): Promise<void> {
  await writePrivate(store, join(domainDir(store, domain), ACTIVE_FILE), `${selector}\n`);
}

/**
 * Brings a domain's keys into the store: a mounted key (the one named by the configured selector,
 * or the only one) replaces whatever was made here, so DNS records published elsewhere stay valid;
 * otherwise a domain without a key gets one. Returns what was done, for the start log.
 */
async function ensureDomainKey(
  store: DkimKeyStore,
  settings: DkimSettings,
  domain: string,
): Promise<string | undefined> {
  await ensureDir(store, domainDir(store, domain));
  const brought = await broughtKeys(store, domain);
  const selectors = [...new Set(brought.map((key) => key.selector))];
  const chosen =
    brought.find((key) => key.selector === settings.selector) ?? (selectors.length === 1 ? brought[0] : undefined);
  const twins = brought.filter((key) => key.selector === chosen?.selector);
  if (twins.length > 1)
    throw new Error(
      `${domain}: several DKIM keys of selector ${chosen?.selector} brought along (${twins.map((key) => key.path).join(', ')}); allowed: one key per selector`,
    );
  if (selectors.length > 1 && chosen === undefined) {
    throw new Error(
      `${domain}: several DKIM keys brought along (${brought.map((key) => key.path).join(', ')}) and none named by DKIM_SELECTOR (${settings.selector}); allowed: one key, or one of selector ${settings.selector}`,
    );
  }
  if (chosen !== undefined) {
    const pem = await readFile(chosen.path, 'utf8');
    // A private key, not its public half mounted by mistake (that would stop signing without a word).
    try {
      dkimPublicKey(pem);
    } catch (error) {
      throw new Error(`${chosen.path} ${(error as Error).message}`);
    }
    await writePrivate(store, keyPath(store, domain, chosen.selector), pem);
    await setActive(store, domain, chosen.selector);
    return `using the DKIM key ${chosen.selector} for ${domain} from ${chosen.path}`;
  }
  const active = await activeSelector(store, domain);
  const present = (selector: string) =>
    access(keyPath(store, domain, selector)).then(
      () => true,
      () => false,
    );
  if (active !== undefined && (await present(active))) return undefined;
  // A key of the configured selector without its `active` mark (a restore) is the published one: keep it.
  if (await present(settings.selector)) {
    await setActive(store, domain, settings.selector);
    return undefined;
  }
  await writePrivate(store, keyPath(store, domain, settings.selector), newPrivateKey(settings.keyBits));
  await setActive(store, domain, settings.selector);
  return `made a ${settings.keyBits}-bit DKIM key ${settings.selector} for ${domain}: publish it (idmail dkim show ${domain})`;
}

/** Every served domain has its key, and rspamd's maps name exactly these; returns the start log's lines. */
export async function ensureDkimKeys(
  store: DkimKeyStore,
  settings: DkimSettings,
  domains: readonly string[],
): Promise<string[]> {
  await ensureDir(store, store.dir);
  const done: string[] = [];
  for (const domain of domains) {
    const line = await ensureDomainKey(store, settings, domain);
    if (line !== undefined) done.push(line);
  }
  await writeSigningMaps(store, domains);
  return done;
}

/** rspamd's selector and key maps (domain → selector, domain → key file), for the domains given. */
async function writeSigningMaps(store: DkimKeyStore, domains: readonly string[]): Promise<void> {
  const selectors: string[] = [];
  const paths: string[] = [];
  for (const domain of domains) {
    const selector = await activeSelector(store, domain);
    if (selector === undefined) continue;
    selectors.push(`${domain} ${selector}`);
    paths.push(`${domain} ${keyPath(store, domain, selector)}`);
  }
  await writePrivate(store, join(store.dir, 'selectors.map'), `${selectors.join('\n')}\n`);
  await writePrivate(store, join(store.dir, 'keys.map'), `${paths.join('\n')}\n`);
}

async function domainsInStore(store: DkimKeyStore): Promise<string[]> {
  const entries = await readdir(store.dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** The keys of one domain, or of every domain in the store. */
export async function listDkimKeys(store: DkimKeyStore, domain?: string): Promise<DkimKey[]> {
  const domains = domain === undefined ? await domainsInStore(store) : [domain];
  const keys: DkimKey[] = [];
  for (const name of domains) {
    const active = await activeSelector(store, name);
    for (const selector of await selectorsIn(domainDir(store, name))) {
      const { keyType, publicKey } = dkimPublicKey(await readFile(keyPath(store, name, selector), 'utf8'));
      keys.push({ domain: name, selector, active: selector === active, keyType, publicKey });
    }
  }
  return keys;
}

/** The next selector: the configured one with today's date, and a counter when taken the same day. */
function nextSelector(base: string, taken: readonly string[], today: Date): string {
  const stamp = today.toISOString().slice(0, 10).replaceAll('-', '');
  const first = `${base}-${stamp}`;
  if (!taken.includes(first)) return first;
  for (let counter = 2; ; counter++) {
    const candidate = `${first}-${counter}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

/**
 * A new key under a new selector signs from now on; the old ones stay in the store (and in
 * `idmail dkim show`) so mail signed with them still verifies, until `retireDkimKey`.
 */
export async function rotateDkimKey(
  store: DkimKeyStore,
  settings: DkimSettings,
  domain: string,
  signedDomains: readonly string[],
  today = new Date(),
): Promise<string> {
  const brought = await broughtKeys(store, domain);
  if (brought.length > 0) {
    throw new Error(`${domain}'s key is brought along (${brought[0]?.path}): rotate it where it comes from`);
  }
  const taken = await selectorsIn(domainDir(store, domain));
  if (taken.length === 0) throw new Error(`${domain} has no DKIM key here; allowed: a served domain`);
  const selector = nextSelector(settings.selector, taken, today);
  await writePrivate(store, keyPath(store, domain, selector), newPrivateKey(settings.keyBits));
  await setActive(store, domain, selector);
  await writeSigningMaps(store, signedDomains);
  return selector;
}

/** Removes a key no longer signing (after its DNS record is gone, or mail signed with it has arrived). */
export async function retireDkimKey(store: DkimKeyStore, domain: string, selector: string): Promise<void> {
  if (!(await selectorsIn(domainDir(store, domain))).includes(selector)) {
    throw new Error(`${domain} has no DKIM key ${selector}; see idmail dkim show ${domain}`);
  }
  if ((await activeSelector(store, domain)) === selector) {
    throw new Error(`${selector} still signs ${domain}'s mail; allowed: a key replaced by idmail dkim rotate`);
  }
  await rm(keyPath(store, domain, selector));
}
