#!/usr/bin/env bash
# Builds haexplain_VERSION_ARCH.deb from a release binary with dpkg's own tools: `make install`
# staged under /usr, the library dependencies from dpkg-shlibdeps, and lintian's verdict.
# Usage: packaging/build-deb.sh RELEASE-BINARY [OUTPUT-DIRECTORY]
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath "${2:-.}")
top=$(cd "$(dirname "$0")/.." && pwd)
version=$("$bin" --version)
arch=$(dpkg --print-architecture)
deb="$out/haexplain_${version}_${arch}.deb"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
make -s -C "$top" install-files DESTDIR="$root" PREFIX=/usr RELEASE_BIN="$bin" \
  ZSHDIR="$root/usr/share/zsh/vendor-completions"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/haexplain"
gzip -9n "$root/usr/share/man/man1/haexplain.1"
# bash-completion sources the file: a #! line there is noise (lintian says so).
sed -i '1{/^#!/d}' "$root/usr/share/bash-completion/completions/haexplain"

doc="$root/usr/share/doc/haexplain"
install -d "$doc"
install -m 644 "$top/README.md" "$doc/README.md"
{
  printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n'
  printf 'Upstream-Name: haexplain\n\nFiles: *\nCopyright: 2026 the haexplain authors\nLicense: MIT\n'
  sed -n '/^Permission/,$p' "$top/LICENSE" | sed 's/^$/./; s/^/ /'
} > "$doc/copyright"
# A native package's changelog, in Debian's format, from the version the binary reports.
printf 'haexplain (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$version" "$version" "haexplain maintainers <maintainers@haexplain.invalid>" \
  "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$doc/changelog.gz"
chmod 644 "$doc/changelog.gz" "$doc/copyright"

# Shared-library dependencies as dpkg computes them; libpcap is loaded at run time (dlopen)
# when a command captures, so it is named by hand.
mkdir -p "$stage/debian"
printf 'Source: haexplain\n\nPackage: haexplain\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O -e root/usr/bin/haexplain 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
depends="$shlibs, libpcap0.8 (>= 1.5)"

install -d "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: haexplain
Version: $version
Architecture: $arch
Maintainer: haexplain maintainers <maintainers@haexplain.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: keepalived, haproxy
Section: net
Priority: optional
Description: explain who owns an IP address on keepalived/haproxy hosts
 haexplain answers "who owns this IP address, and why?" on hosts running
 haproxy behind keepalived (VRRP). It reads the kernel's addresses over
 netlink, keepalived.conf, /etc/hosts, haproxy.cfg, /proc and the VRRP
 adverts on the wire, and prints one answer with the source of every claim,
 as text or JSON. It never changes the host it inspects.
CONTROL
(cd "$root" && find usr -type f -exec md5sum {} + | sort -k2) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
