#!/bin/sh
# The test TLDs (.test, .example) are dnsmasq's alone: what the zone does not name does not exist. Only
# unqualified names (the network's container names) are asked of the container engine's resolver; every
# other name does not exist at once. Forwarded, the names rspamd asks for at start (maps.rspamd.com, …)
# time out at an offline engine and so tie up its resolver that container names took longer than a
# test's 5 s LDAP connect.
# Test clients connect from the engine's private addresses: their reverse names (and those names' own
# addresses) are made up under elsewhere.example, as a sender's ISP would have them, so rspamd does not
# score test mail for a missing reverse name.
# A test rewrites the zone, then ends dnsmasq (its pid in /run/dnsmasq.pid): the loop starts it again.
engine=$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)
while :; do
  dnsmasq --keep-in-foreground --user=root --no-hosts --no-resolv --log-facility=- \
    --server=//"$engine" --local=/#/ --server=/test/ --server=/example/ --synth-domain=elsewhere.example,10.0.0.0/8,client- --txt-record=health.dns.test,ok --conf-file=/etc/dnsmasq-zone/records.conf &
  echo $! > /run/dnsmasq.pid
  wait
  sleep 0.2
done
