/** Bytes per unit, as Dovecot counts them (1024-based); no unit: bytes. */
const UNIT_BYTES: Record<string, number> = { '': 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Dovecot would take more, but a mailbox limit beyond a petabyte is a typo, and too large a number fails its parse. */
const LARGEST_BYTES = 1024 ** 5;

/**
 * A mailbox size limit, written alike wherever idmail takes one (PROVISIONING_TEMPLATES, the accounts
 * file, POSTFIX_MAILBOX_SIZE_LIMIT, `idmail account quota`), returned as Dovecot's quota_storage_size
 * reads it: `unlimited`, or a whole number with an optional unit k, M, G or T. Zero means no limit to
 * Dovecot (and to docker-mailserver), so it is returned as `unlimited`.
 */
export function parseQuotaSize(value: string): string {
  const size = value.trim();
  if (size === 'unlimited') return size;
  const match = /^(\d{1,16})([kMGT]?)$/.exec(size);
  const bytes = match === null ? Number.NaN : Number(match[1]) * (UNIT_BYTES[match[2] as string] as number);
  if (!(bytes <= LARGEST_BYTES)) {
    throw new Error(
      `${JSON.stringify(value)} is not a quota; allowed: unlimited, or a size up to 1024T like 500M, 5G (units k, M, G, T; none: bytes)`,
    );
  }
  return bytes === 0 ? 'unlimited' : size;
}
