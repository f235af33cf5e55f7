#!/usr/bin/env bash
# Checks a built haexplain .deb: the files it holds, lintian's errors, and that it installs and
# removes cleanly in a throwaway dpkg root (the machine's own package database is not touched).
set -euo pipefail
deb=$(realpath "$1")
fail() { echo "deb-check: $*" >&2; exit 1; }

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/haexplain ./usr/share/man/man1/haexplain.1.gz \
         ./usr/share/bash-completion/completions/haexplain ./usr/share/zsh/vendor-completions/_haexplain \
         ./usr/share/fish/vendor_completions.d/haexplain.fish ./usr/share/doc/haexplain/copyright \
         ./usr/share/doc/haexplain/changelog.gz ./usr/share/doc/haexplain/README.md; do
  grep -qxF "$f" <<<"$contents" || fail "$f missing from $deb"
done
# The JSON Schemas, one per document kind and the shared definitions.
for kind in common ip check addr neigh keepalived hosts vrrp haproxy snapshot; do
  f=./usr/share/haexplain/schemas/$kind.schema.json
  grep -qxF "$f" <<<"$contents" || fail "$f missing from $deb"
done
dpkg-deb -f "$deb" Depends | grep -q 'libmnl0' || fail "Depends does not name libmnl0"
echo "deb-check: contents and Depends ($(dpkg-deb -f "$deb" Depends))"

# lintian exits non-zero on errors only (--fail-on error).
lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reports errors"
echo "deb-check: lintian reports no errors"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log"
: > "$root/var/lib/dpkg/status"
# The throwaway root holds no libc or libmnl, so dependencies are forced; dpkg still unpacks,
# configures and removes every file as it would on a real system.
dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null -i "$deb" >/dev/null 2>&1 || fail "dpkg -i failed"
"$root/usr/bin/haexplain" --version >/dev/null || fail "the installed binary does not run"
dpkg --root="$root" --log=/dev/null --purge haexplain >/dev/null
left=$(cd "$root" && find . -path ./var/lib/dpkg -prune -o -path ./var/log -prune -o -mindepth 1 ! -type d -print)
[ -z "$left" ] || fail "files left after removal: $left"
left_dirs=$(cd "$root" && find usr -mindepth 0 -type d 2>/dev/null || true)
[ -z "$left_dirs" ] || fail "directories left after removal: $left_dirs"
echo "deb-check: installs and removes cleanly in a throwaway root"
