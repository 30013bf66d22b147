#!/usr/bin/env bash
# The etcd suites start their own etcd server and need the binary on PATH.
# Installs Debian's etcd-server when missing and allowed (root with apt-get);
# otherwise says exactly what is missing.
set -euo pipefail
command -v etcd >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing etcd-server (Debian package) for the etcd test suites"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
  exit 0
fi
echo "etcd is not on PATH: install it (Debian/Ubuntu: sudo apt-get install etcd-server) and run the tests again" >&2
exit 1
