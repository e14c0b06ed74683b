import type { CleanedEnv } from 'envalid';
import { wholeNumber } from './validators.ts';

/** How much one signed-in account may send through submission (587, 465) in any hour; 0: no limit of that kind. */
export interface SubmissionRateLimits {
  messagesPerHour: number;
  recipientsPerHour: number;
}

/**
 * Neither docker-mailserver nor mailcow has variables for this (mailcow sets its limits per mailbox in
 * its web UI, through rspamd), so the names are new. The defaults are far above what a person sends
 * (a busy day is a few dozen messages) yet far below what a spam run through a leaked app password
 * does in an hour; a mailing to a distribution list here counts as one recipient, since the list is
 * expanded after submission.
 */
export const rateLimitSpecs = {
  SUBMISSION_MESSAGES_PER_HOUR: wholeNumber({
    default: 200,
    desc:
      'Messages one account may send through submission (587, 465) in any hour (a sliding window); more are ' +
      'refused with a temporary `450 4.7.1`, so the client retries later; `0`: no limit',
    example: '50',
  }),
  SUBMISSION_RECIPIENTS_PER_HOUR: wholeNumber({
    default: 1000,
    desc:
      'Recipients (RCPT TO) one account may send to in any hour, over all its messages; a distribution list ' +
      'counts as one; refused alike; `0`: no limit',
    example: '300',
  }),
};

type RateLimitEnv = CleanedEnv<typeof rateLimitSpecs>;

/** The limits, or undefined when both are off (then Postfix does not ask the helper at all). */
export function rateLimitSettings(env: RateLimitEnv): SubmissionRateLimits | undefined {
  const limits = {
    messagesPerHour: env.SUBMISSION_MESSAGES_PER_HOUR,
    recipientsPerHour: env.SUBMISSION_RECIPIENTS_PER_HOUR,
  };
  return limits.messagesPerHour === 0 && limits.recipientsPerHour === 0 ? undefined : limits;
}
