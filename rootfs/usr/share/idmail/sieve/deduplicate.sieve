# Runs before each user's own filters (idmail's Dovecot config, sieve_script deduplicate).
# If the appliance dies after a message is saved but before Postfix hears so, Postfix hands the
# same queued message over again after the restart. What tells that re-delivery apart is the queue
# id in Postfix's own Received header together with the envelope recipient: the same message to
# user+a and user+b is delivered twice, as it should, and so are two messages sharing a Message-ID.
#
# Postfix writes its header first (Dovecot adds none: lmtp_add_received_header = no), unfolded here:
#   from HELO (NAME [ADDRESS]) (using TLS…) by HOST (Postfix) with ESMTPS id QUEUEID for <RCPT>; DATE
#   by HOST (Postfix, from userid UID) id QUEUEID; DATE                       (sendmail, via pickup)
# Queue ids are long ones (main.cf enable_long_queue_ids): they carry the time, so they do not recur.
#
# Nothing is dropped unless the key is certain: a message without that header keeps going, and so
# does one whose first Received header names Postfix twice. That header also carries what the
# client wrote (its HELO name, the recipient address), which could imitate Postfix's words; two of
# them mean the queue id cannot be told from imitated text, and a key of the sender's choosing could
# otherwise suppress another message.
require ["duplicate", "envelope", "index", "regex", "variables"];

if not header :index 1 :comparator "i;octet" :regex "received"
    "\\(Postfix(\\)|, ).*\\(Postfix(\\)|, )" {
  # Header tests stop at the first value that matches and set the match variables from it: with
  # :index 1 that is only ever the topmost Received header. ${4} is the queue id.
  if header :index 1 :comparator "i;octet" :regex "received"
      "(^|[[:space:]])by [^[:space:]]+ \\(Postfix(, from userid [0-9]+)?\\)[[:space:]]+(with [^[:space:]]+[[:space:]]+)?id ([0-9A-Za-z]+)" {
    set "queue_id" "${4}";
    # The recipient Postfix handed this copy to (Dovecot's LMTP offers no DSN, so Postfix sends no
    # ORCPT and this is the address after alias expansion, +detail kept).
    if envelope :all :comparator "i;octet" :matches "to" "*" {
      set "recipient" "${1}";
      # Two days, Pigeonhole's most (sieve_duplicate_max_period): a restart that long after the
      # crash still finds the record.
      if duplicate :seconds 172800 :uniqueid "${queue_id} ${recipient}" {
        discard;
        stop;
      }
    }
  }
}
