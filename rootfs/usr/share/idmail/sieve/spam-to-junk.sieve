# Runs before each user's own filters when rspamd and MOVE_SPAM_TO_JUNK are on (idmail's Dovecot
# config, sieve_script spam-to-junk). rspamd adds `X-Spam: Yes` above the junk score (and removes any
# the sender set): such mail goes to Junk, and the user's own rules do not move it back out.
require ["fileinto", "mailbox"];

if header :is "X-Spam" "Yes" {
  fileinto :create "Junk";
  stop;
}
