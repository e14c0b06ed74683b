#!/bin/sh
# Builds the demo directory at image build time: test CA and server certificate, cn=config, seed data.
set -eu
tls=/etc/ldap/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj "/CN=idmail demo LDAP CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=ldap" \
  -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:ldap,DNS:localhost,IP:127.0.0.1\n' > "$tls/san.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 3650 -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null
rm -f "$tls/ca.key" "$tls/server.csr" "$tls/san.ext" "$tls/ca.srl"
# The CA alone in a directory of its own, which compose shares with the appliance as a volume.
mkdir -p /etc/ldap/ca && cp "$tls/ca.pem" /etc/ldap/ca/ca.pem

# Seed passwords are hashed here, not stored in clear.
seed=$(mktemp)
sed -e "s|@ALICE@|$(slappasswd -s alice-password)|" -e "s|@BOB@|$(slappasswd -s bob-password)|" \
    -e "s|@CAROL@|$(slappasswd -s carol-password)|" -e "s|@DAVE@|$(slappasswd -s dave-password)|" \
    -e "s|@SERVICE@|$(slappasswd -s idmail-service-password)|" /opt/ldap/seed.ldif > "$seed"
sed -e "s|@ADMIN@|$(slappasswd -s admin-password)|" /opt/ldap/config.ldif > /opt/ldap/config.rendered.ldif

slapadd -n0 -F /etc/ldap/slapd.d -l /opt/ldap/config.rendered.ldif
slapadd -n1 -F /etc/ldap/slapd.d -l "$seed"
rm -f "$seed" /opt/ldap/config.rendered.ldif
chown -R openldap:openldap /etc/ldap/slapd.d /var/lib/ldap "$tls"
chmod 0640 "$tls/server.key"
chmod 0644 "$tls/ca.pem"
mkdir -p /run/slapd && chown openldap:openldap /run/slapd
