#!/usr/bin/env bash
# Builds, once, the Debian bookworm root the system-host tests boot (tests/support/rootfs.rs):
# `debootstrap --variant=minbase` from deb.debian.org with sshd, python3 (for ansible-playbook)
# and the tools package modules call. The root is cached in ~/.cache/ferry-rootfs/bookworm-<hash
# of this script>: built only when missing, so checkouts with different versions of this script
# each keep their own root and never replace one that running hosts sit on; roots unused for a
# week are removed. Prints the root's path. Concurrent callers wait on a lock; a half-built root
# is never used.
# FERRY_ROOTFS_VARIANT=rpm builds a second root beside it (bookworm-rpm-<hash>) with dnf,
# python3-dnf, rpm (rpmbuild, rpmsign) and createrepo-c: the RPM family's test hosts.
set -euo pipefail

cache="${FERRY_ROOTFS_CACHE:-$HOME/.cache/ferry-rootfs}"
mirror="${FERRY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
include=openssh-server,python3,python3-apt,python3-debian,sudo,gnupg,debconf-utils,ca-certificates,iproute2,procps,xz-utils
variant="${FERRY_ROOTFS_VARIANT:-}"
case "$variant" in
  "") name=bookworm ;;
  rpm) name=bookworm-rpm include="$include,dnf,python3-dnf,rpm,createrepo-c" ;;
  *) echo "unknown FERRY_ROOTFS_VARIANT '$variant' (known: rpm)" >&2; exit 1 ;;
esac
stamp="$(sha256sum "$0" | cut -d' ' -f1)"
root="$cache/$name-${stamp:0:12}"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$root/.ferry-stamp" ] && [ "$(cat "$root/.ferry-stamp")" = "$stamp" ]; then
  touch "$root"
  echo "$root"
  exit 0
fi

if ! command -v debootstrap >/dev/null; then
  echo "debootstrap is missing: apt-get install -y debootstrap (scripts/test.sh does)" >&2
  exit 1
fi
build="$cache/$name.build.$$"
rm -rf "$build"
trap 'rm -rf "$build"' EXIT
echo "== debootstrap bookworm into $build (about a minute)" >&2
debootstrap --variant=minbase --include="$include" bookworm "$build" "$mirror" >"$cache/$name.debootstrap.log" 2>&1 || {
  tail -20 "$cache/$name.debootstrap.log" >&2
  exit 1
}

# Package scripts must not start daemons in a test host unless the test removes this file.
printf '#!/bin/sh\nexit 101\n' >"$build/usr/sbin/policy-rc.d"
chmod 755 "$build/usr/sbin/policy-rc.d"
# The host is disposable: no docs, no translations, a small download each time.
printf 'APT::Install-Recommends "false";\nAcquire::Languages "none";\n' >"$build/etc/apt/apt.conf.d/90ferry"
rm -f "$build"/etc/ssh/ssh_host_*
rm -rf "$build"/var/cache/apt/archives/*.deb
mkdir -p "$build/run/sshd" "$build/root/.ssh"
chmod 700 "$build/root/.ssh"
echo "$stamp" >"$build/.ferry-stamp"

rm -rf "$root"
mv "$build" "$root"
# Roots of other versions of this script, unused for a week and under no running host.
find "$cache" -maxdepth 1 -name "$name-????????????" -type d -mtime +7 | while read -r old; do
  grep -q "lowerdir=$old" /proc/mounts || rm -rf "$old"
done
trap - EXIT
echo "$root"
