#!/bin/sh
# Test certificates made with openssl: a test CA, a valid leaf for 127.0.0.1/localhost,
# one expiring in 5 days, an expired one, and a self-signed one; and a second, private CA (the
# demo's: its leaf "private" is untrusted by the probe, trusted by the audit's --audit-ca). Usage: make-certs.sh DIR
set -eu
d=$1
mkdir -p "$d" && cd "$d"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=influxguard test CA"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout demo-ca.key -out demo-ca.pem -days 3650 -subj "/CN=influxguard demo private CA"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
cat > ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
dir = .
database = ./index.txt
new_certs_dir = .
serial = ./serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[ any ]
commonName = supplied
CNF
: > index.txt; echo 1000 > serial
leaf() { # name startdate enddate [ca]
  ca=${4:-ca}
  q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=localhost"
  q openssl ca -batch -config ca.cnf -cert "$ca.pem" -keyfile "$ca.key" -in "$1.csr" -out "$1.pem" -startdate "$2" -enddate "$3" -extfile san.ext -notext
  cat "$1.pem" "$1.key" > "$1.combined.pem"
}
now=$(date -u +%Y%m%d%H%M%SZ)
leaf valid "$now" "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)"
leaf soon "$now" "$(date -u -d '+5 days' +%Y%m%d%H%M%SZ)"
leaf expired 20200101000000Z 20200201000000Z
leaf future "$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '+400 days' +%Y%m%d%H%M%SZ)"
leaf private "$now" "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)" demo-ca
q openssl req -x509 -newkey rsa:2048 -nodes -keyout selfsigned.key -out selfsigned.pem -days 365 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"
cat selfsigned.pem selfsigned.key > selfsigned.combined.pem
