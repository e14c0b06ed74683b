import type { Settings } from '../config/settings.ts';

/**
 * The submission services' recipient and end-of-data restrictions: the helper's rate-limit policy
 * when a limit is on, none otherwise (then Postfix never asks, and no answer time is spent).
 *
 * It is asked twice per message. At each RCPT (smtpd_recipient_restrictions, after the relay and
 * sender checks have passed) it counts the recipient, and refuses early once the messages are used
 * up, before the client uploads anything. At the end of the message (smtpd_end_of_data_restrictions)
 * it counts the message, once, when it is complete: smtpd_data_restrictions would count at DATA,
 * before a message that may never arrive. Should the helper not answer, Postfix applies
 * smtpd_policy_service_default_action, a temporary 451: nothing passes unchecked. (policy_time_limit
 * is spawn(8)'s, for policy servers Postfix starts; the helper runs on its own and answers from memory.)
 */
export function submissionRestrictions(settings: Settings): string[] {
  if (settings.submissionRateLimit === undefined) return ['smtpd_recipient_restrictions='];
  // master.cf's -o takes no spaces: a comma separates the restriction from its argument.
  const check = `check_policy_service,unix:${settings.paths.postfixPolicy}`;
  return [`smtpd_recipient_restrictions=${check}`, `smtpd_end_of_data_restrictions=${check}`];
}
