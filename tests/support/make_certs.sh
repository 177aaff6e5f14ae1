#!/usr/bin/env bash
# make_certs.sh DIR — makes a throw-away PKI for tests, the demo and the benchmarks.
#   ca.pem / ca.key            the CA that signs everything below
#   server.pem / server.key    CN=localhost, SAN DNS:localhost, IP:127.0.0.1 (brokers)
#   client.pem / client.key    CN=mqrelay-test-client (the relay's client certificate)
#   other-ca.pem               an unrelated CA (wrong-CA tests)
#   wronghost.pem / .key       signed by ca.pem, but for CN/SAN wrong.example.com only
# Keys are EC P-256 (fast handshakes), mode 0600. Idempotent: an existing complete set is kept.
set -euo pipefail
dir=${1:?usage: make_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
if [ -s ca.pem ] && [ -s server.pem ] && [ -s client.pem ] && [ -s other-ca.pem ] && [ -s wronghost.pem ]; then
  exit 0
fi
umask 077
days=3650
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -sha256 -days $days -subj "/CN=mqrelay test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
sign() { # name cn san extkeyusage
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$4" "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days $days -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
sign server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1" serverAuth
sign client mqrelay-test-client "" clientAuth
sign wronghost wrong.example.com "subjectAltName=DNS:wrong.example.com" serverAuth
key other-ca.key
openssl req -x509 -new -key other-ca.key -sha256 -days $days -subj "/CN=unrelated CA" \
  -addext "basicConstraints=critical,CA:TRUE" -out other-ca.pem
chmod 600 ./*.key
chmod 644 ./*.pem
