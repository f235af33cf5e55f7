# haexplain — build, test, install. `make test` installs what it needs on Debian/Ubuntu.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
SCHEMADIR = $(DESTDIR)$(PREFIX)/share/haexplain/schemas
SWIFT ?= swift
RELEASE_BIN = .build/release/haexplain

# Debian packages: build (libmnl, libpcap), the reference tools the tests compare against
# (iproute2, net-tools, keepalived, haproxy, tcpdump, tshark, dnsmasq, getent, ssh, ping, killall,
# pidof, pgrep; nft and strace for the read-only test), and bench/lint; nftables partitions
# the seed lab in the storm test; python3-jsonschema validates every JSON document the tests
# produce against schemas/; lintian and dpkg-dev build and check the Debian package; arping and
# ndisc6 (DAD and neighbour solicitation) are what --probe is checked against.
DEPS = libmnl-dev libpcap-dev pkg-config iproute2 net-tools keepalived haproxy tcpdump tshark \
       dnsmasq-base psmisc util-linux libc-bin hyperfine mandoc procps python3 lintian dpkg-dev \
       openssh-server openssh-client netcat-openbsd time iputils-ping sysvinit-utils coreutils \
       nftables strace libnftables-dev python3-jsonschema iputils-arping ndisc6
# Other redundancy daemons on the wire (the interop tests run them in namespaces); Ansible runs
# the README's fleet recipe against the test sshd.
DEPS += ucarp frr ansible-core

.PHONY: all build deps test install install-files uninstall bench fuzz demo clean lint-man chaos deb deb-check

all: build

# Packed relative relocations (DT_RELR, glibc >= 2.36, linked by the toolchain's lld): the
# binary stays position-independent, but the ~40,000 relocations of a statically linked
# Swift runtime no longer dirty a hundred pages at every start (about 0.5 ms per run).
# Elsewhere the default link is used.
RELR_FLAGS := $(shell command -v ld.lld >/dev/null 2>&1 && \
  printf '%s\n' 2.36 "$$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)" | sort -V -C 2>/dev/null && \
  echo "-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs")

build: deps
	$(SWIFT) build -c release --product haexplain --static-swift-stdlib $(RELR_FLAGS)

# Installs only what is missing, so a machine that has everything is not touched.
deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@if command -v mandoc >/dev/null; then mandoc -Tlint -Wwarning man/*.1 && echo "man pages: mandoc lint clean"; fi

install: build install-files

# The files alone, from an existing release binary (the Debian package stages these).
install-files:
	install -d $(BINDIR) $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	install -m 755 $(RELEASE_BIN) $(BINDIR)/haexplain
	install -m 644 man/haexplain.1 $(MANDIR)/haexplain.1
	$(RELEASE_BIN) --generate-completion-script bash > $(BASHDIR)/haexplain
	$(RELEASE_BIN) --generate-completion-script zsh > $(ZSHDIR)/_haexplain
	$(RELEASE_BIN) --generate-completion-script fish > $(FISHDIR)/haexplain.fish
	install -d $(SCHEMADIR)
	install -m 644 schemas/*.schema.json $(SCHEMADIR)/

uninstall:
	rm -f $(BINDIR)/haexplain $(MANDIR)/haexplain.1 $(BASHDIR)/haexplain $(ZSHDIR)/_haexplain $(FISHDIR)/haexplain.fish
	rm -rf $(SCHEMADIR)
	rmdir $(DESTDIR)$(PREFIX)/share/haexplain 2>/dev/null || true

bench: build
	bash Bench/run.sh $(RELEASE_BIN)

# A Debian package of the release build (packaging/build-deb.sh), and its checks: contents,
# lintian with no errors, install and removal in a throwaway dpkg root.
deb: build
	bash packaging/build-deb.sh $(RELEASE_BIN) .

deb-check: deb
	bash packaging/check-deb.sh haexplain_$$($(RELEASE_BIN) --version)_$$(dpkg --print-architecture).deb

# The seed's two balancers and an application server in network namespaces (needs root).
demo: build
	bash demo/run.sh $(RELEASE_BIN)

# The seed lab in a storm (needs root): Tests/Chaos/storm.py, CHAOS_STEPS steps from
# CHAOS_SEED (random when unset; printed either way), agreement with the ground truth and
# time-to-verdict percentiles by step kind and asker. Fails when an answer disagrees.
CHAOS_STEPS ?= 200
CHAOS_SEED ?=
chaos: deps
	$(SWIFT) build --product haexplain
	python3 Tests/Chaos/storm.py chaos --steps $(CHAOS_STEPS) $(if $(CHAOS_SEED),--seed $(CHAOS_SEED)) --bin .build/debug/haexplain

fuzz: deps
	bash Fuzz/run.sh

clean:
	rm -rf .build Fuzz/out Bench/out
