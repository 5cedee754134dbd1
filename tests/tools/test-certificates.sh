#!/bin/bash
# Usage: test-certificates.sh DIR NAME SERIAL
# A test CA in DIR/ca.pem (and ca.key), made once, and a server certificate it issues for
# 127.0.0.1 (subjectAltName IP:127.0.0.1, serial SERIAL in hex) in DIR/NAME.pem with its key in
# DIR/NAME.key. Valid for two days: only for tests. Used by the integration tests and tests/e2e.
set -euo pipefail
dir=$1 name=$2 serial=$3
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=ocipfs-test-ca -keyout ca.key -out ca.pem \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
fi
printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
  'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
  >"$name.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$name.key" -out "$name.csr" 2>/dev/null
openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$serial" -days 2 \
  -extfile "$name.ext" -out "$name.pem" 2>/dev/null
rm -f "$name.csr" "$name.ext"
