import type { SenderRelays } from '../config/relay-settings.ts';
import { asciiLower, domainOf, localPartOf } from '../vocabulary/address.ts';
import { type Directory, hasMailbox } from './directory.ts';

/** The role mailboxes every mail domain is expected to have (RFC 2142, RFC 5321 for postmaster). */
const ROLE_LOCAL_PARTS = new Set(['postmaster', 'abuse']);

/** Postfix's word for "no sender-dependent relay": the global relayhost, which RELAY_HOST leaves empty (direct). */
const NO_SENDER_RELAY = 'DUNNO';

/**
 * Where mail for an alias goes: the directory's answer; else, for postmaster@ and abuse@ of a served domain
 * that no account (disabled ones included) and no alias has, the postmaster. Never the postmaster address
 * itself, nor a postmaster in a served domain that has no mailbox or alias there: mail accepted for it would
 * only bounce later (backscatter), so those addresses stay unknown and are refused at RCPT.
 */
export async function aliasTargets(
  directory: Directory,
  address: string,
  postmaster: string,
): Promise<string[] | undefined> {
  const own = await directory.aliasTargets(address);
  if (own !== undefined) return own;
  const name = asciiLower(address);
  if (!isRoleAddress(name) || name === asciiLower(postmaster)) return undefined;
  if (!(await directory.servesDomain(domainOf(name)))) return undefined;
  if ((await directory.accountByAddress(name)) !== undefined) return undefined;
  return (await deliverable(directory, postmaster)) ? [postmaster] : undefined;
}

/**
 * A stranger on port 25 naming one of our domains as envelope sender (check_sender_access, which asks a
 * socketmap with the whole address only): refused, since our own people sign in to send.
 */
export async function claimsOurDomain(directory: Directory, sender: string): Promise<boolean> {
  return sender.includes('@') && (await directory.servesDomain(asciiLower(domainOf(sender))));
}

/** Mail for the address has somewhere to go: another server, a mailbox here, or an alias here. */
async function deliverable(directory: Directory, address: string): Promise<boolean> {
  if (!(await directory.servesDomain(domainOf(address)))) return true;
  return (await hasMailbox(directory, address)) || (await directory.aliasTargets(address)) !== undefined;
}

const isRoleAddress = (name: string): boolean => name.includes('@') && ROLE_LOCAL_PARTS.has(localPartOf(name));

/**
 * The relay for a sender, as Postfix's sender_dependent_relayhost_maps asks a socketmap: with the whole
 * sender address only (Postfix skips the partial keys, `@domain` and the address without its extension, for
 * socketmaps), so the helper tries those itself. RELAY_MAP's entries come first, the most specific first
 * (an opted-out one ends the search: sent directly); then, with RELAY_HOST, every served domain's senders
 * get it, as docker-mailserver writes one entry per domain. The null sender (`<>`) gets none.
 */
export async function senderRelay(
  directory: Directory,
  relays: SenderRelays,
  key: string,
): Promise<string | undefined> {
  const sender = asciiLower(key);
  const at = sender.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = sender.slice(at + 1);
  const entry = [sender, withoutExtension(sender, at), `@${domain}`]
    .map((candidate) => relays.entries.get(candidate))
    .find((found) => found !== undefined);
  if (entry !== undefined) return entry ?? NO_SENDER_RELAY;
  if (relays.everyServedDomain === undefined) return undefined;
  return (await directory.servesDomain(domain)) ? relays.everyServedDomain : undefined;
}

/** user+tag@domain as user@domain: main.cf's recipient_delimiter is `+`. */
function withoutExtension(address: string, at: number): string {
  const plus = address.indexOf('+');
  return plus < 0 || plus > at ? address : address.slice(0, plus) + address.slice(at);
}
