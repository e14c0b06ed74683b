# Runs before each user's own filters (idmail's Dovecot config, sieve_script deduplicate).
# If the appliance dies after a message is saved but before Postfix hears so, Postfix hands the
# message over again after the restart: the same Message-ID is then in the mailbox already.
require "duplicate";

if duplicate {
  discard;
  stop;
}
