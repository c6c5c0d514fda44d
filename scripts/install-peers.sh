#!/usr/bin/env bash
# Install the real test peers (Postfix, Cyrus SASL tools, swaks, dnsmasq, Exim, knot,
# unbound, nginx) that the integration tests start privately on loopback. Idempotent and
# quiet: when every package is already installed it only runs dpkg-query (and a few
# tests) and exits.
#
# Exim cannot be installed with apt beside Postfix (both provide mail-transport-agent,
# so apt would REMOVE postfix): its package is downloaded and unpacked into the
# project's .peers/exim (gitignored), and /usr/sbin/exim4 points there, because exim
# re-executes that compiled-in path for every delivery.
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
    strace              # the sink's fdatasync is seen to come before its 250
    chromium            # headless browser: the HTML report of `check` is opened in it
    libidn12            # the libraries the unpacked exim4 binary links against
    libgnutls-dane0
    libpcre2-8-0
    knot                # posture lab: authoritative DNS that signs its zones (DNSSEC)
    knot-dnsutils       # keymgr's companions (kdig) for debugging the lab by hand
    unbound             # posture lab: the validating resolver in front of knot
    nginx-light         # posture lab: HTTPS server for the MTA-STS policies
)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXIM_DIR=${SMTPCHECK_EXIM_DIR:-$REPO/.peers/exim}
EXIM_BIN=/usr/sbin/exim4

exim_ready() {
    [[ -x "$EXIM_BIN" ]] && id Debian-exim >/dev/null 2>&1
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)) && exim_ready; then
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
if ((${#missing[@]} > 0)); then
    echo "install-peers: installing ${missing[*]}" >&2
    if ! run_apt apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 "${missing[@]}"; then
        cat "$log" >&2
        echo "install-peers: apt-get install failed" >&2
        exit 1
    fi
fi

# Exim: download + unpack, never `apt-get install exim4*` (it would remove postfix).
if ! exim_ready; then
    echo "install-peers: unpacking exim4-daemon-light into $EXIM_DIR" >&2
    mkdir -p "$EXIM_DIR/debs" "$EXIM_DIR/root"
    if ! compgen -G "$EXIM_DIR/debs/exim4-daemon-light_*.deb" >/dev/null; then
        # apt-get download runs as the invoking user and writes into the current folder
        if ! (cd "$EXIM_DIR/debs" && apt-get download -q exim4-daemon-light >>"$log" 2>&1); then
            cat "$log" >&2
            echo "install-peers: apt-get download exim4-daemon-light failed" >&2
            exit 1
        fi
    fi
    debs=("$EXIM_DIR"/debs/exim4-daemon-light_*.deb)
    "${as_root[@]}" dpkg-deb -x "${debs[-1]}" "$EXIM_DIR/root"
    "${as_root[@]}" ln -sfn "$EXIM_DIR/root/usr/sbin/exim4" "$EXIM_BIN"
    if ! id Debian-exim >/dev/null 2>&1; then
        "${as_root[@]}" useradd -r -U -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim
    fi
fi
echo "install-peers: done" >&2
