#!/usr/bin/env bash
# Install the real test peers (Postfix, Cyrus SASL tools, swaks, dnsmasq) that the
# integration tests start privately on loopback. Idempotent and quiet: when every
# package is already installed it only runs dpkg-query and exits.
#
# Packages already present on a stock Debian/Ubuntu (openssl, python3, ...) are NOT
# listed on purpose: naming them makes apt upgrade their libraries as a side effect.
set -euo pipefail

PACKAGES=(
    postfix             # the real MTA the tests provoke replies from (also smtp-sink/-source)
    sasl2-bin           # saslpasswd2: the private sasldb for AUTH tests
    libsasl2-modules    # PLAIN and LOGIN mechanisms for smtpd
    swaks               # the reference client the CLI is compared with
    libnet-ssleay-perl  # swaks --tls
    libauthen-sasl-perl # swaks --auth
    dnsmasq-base        # loopback DNS (no service, unlike "dnsmasq")
    curl
    chromium            # headless browser: the HTML report of `check` is opened in it
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-peers: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
fi

echo "install-peers: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# "Local only": the postinst writes a harmless local-delivery config and starts
# nothing that listens beyond loopback; the tests never use /etc/postfix anyway.
"${as_root[@]}" debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string mx.example.test
SEL

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run_apt() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >>"$log" 2>&1
}
# Refresh package lists only when they are missing or older than a day.
lists=/var/lib/apt/lists
if [[ -z $(find "$lists" -maxdepth 1 -name '*Packages*' -mmin -1440 -print -quit 2>/dev/null) ]]; then
    run_apt apt-get update -q -o DPkg::Lock::Timeout=120 || { cat "$log" >&2; exit 1; }
fi
if ! run_apt apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 "${missing[@]}"; then
    cat "$log" >&2
    echo "install-peers: apt-get install failed" >&2
    exit 1
fi
echo "install-peers: done" >&2
