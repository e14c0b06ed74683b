import { type CleanedEnv, makeValidator } from 'envalid';

/** docker-mailserver's default (about 10 MB); 0 there too means no limit. */
const DMS_MESSAGE_SIZE_LIMIT = 10_240_000;
/** Smaller limits refuse ordinary mail: such a value was meant in KB or MB, not bytes. */
const SMALLEST_MESSAGE_SIZE_LIMIT = 65_536;

const messageSizeLimit = makeValidator<number>((value) => {
  const text = value.trim();
  const bytes = /^\d{1,13}$/.test(text) ? Number(text) : Number.NaN;
  if (!(bytes === 0 || bytes >= SMALLEST_MESSAGE_SIZE_LIMIT))
    throw new Error(
      `"${value}" is not a size limit; allowed: a whole number of bytes, ${SMALLEST_MESSAGE_SIZE_LIMIT} or more (e.g. 52428800 for 50 MiB), or 0 for none`,
    );
  return bytes;
});

export const mailFlowSpecs = {
  POSTFIX_MESSAGE_SIZE_LIMIT: messageSizeLimit({
    default: DMS_MESSAGE_SIZE_LIMIT,
    desc:
      'The largest message accepted, in bytes, on every port and for IMAP APPEND when quotas are on; `0`: no limit ' +
      '(not recommended, warned about at every start)',
    example: '52428800',
  }),
};

type MailFlowEnv = CleanedEnv<typeof mailFlowSpecs>;

export function mailFlowWarnings(env: MailFlowEnv): string[] {
  return env.POSTFIX_MESSAGE_SIZE_LIMIT === 0
    ? ['POSTFIX_MESSAGE_SIZE_LIMIT=0: messages of any size are accepted, so one sender can fill the disk']
    : [];
}
