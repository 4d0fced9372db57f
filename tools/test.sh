#!/usr/bin/env bash
# Hanko's test command: the one thing to run on a fresh clone. It first makes sure everything
# the tests use outside Rust is there, installing what is missing (as root), or, for a user
# who cannot install packages, stops at once, before any build, naming what to install. Then
# it runs every test of the workspace; arguments are passed on to `cargo test`.
#
# What the tests use outside Rust:
#   node, npm     run the official NEM SDK (nem-sdk, pinned in tools/sdk-vectors/package-lock.json),
#                 which checks the committed SDK vectors and every announce of the end-to-end tests
#   minisign      signs policy files as compliance officers do
#   ip, setpriv   network namespaces and other Unix users in the end-to-end tests run as root
#   postgresql    the server the coordinator's PostgreSQL store is tested against (each test
#                 starts a cluster of its own from these binaries; as root, as `nobody`)
#   chromium, chromedriver
#                 the browser the web consoles are tested in (headless, over WebDriver)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'tools/test.sh: %s\n' "$*" >&2; }

# Debian package → a command it provides.
declare -A provides=([nodejs]=node [npm]=npm [minisign]=minisign [iproute2]=ip [util-linux]=setpriv
  [chromium]=chromium [chromium-driver]=chromedriver)
missing=()
for package in nodejs npm minisign iproute2 util-linux chromium chromium-driver; do
  command -v "${provides[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
# The server's programs are not on PATH: Debian keeps them per major version.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    say "the tests need programs this machine lacks: ${missing[*]}"
    say "install them (Debian: apt-get install -y ${missing[*]}) and run tools/test.sh again"
    exit 2
  fi
  say "installing ${missing[*]} (Debian packages)"
  # One installer at a time, however many ask at once.
  exec 9>/var/lock/hanko-tests-apt.lock
  flock 9
  # The tests start clusters of their own: the package need not make and start one.
  if [[ " ${missing[*]} " == *" postgresql "* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  flock -u 9
fi

# The official NEM SDK, exactly as the lock file pins it; installed again when the lock file
# changed since.
sdk=tools/sdk-vectors
stamp=$sdk/node_modules/.hanko-installed
if [[ ! -f $stamp || $sdk/package-lock.json -nt $stamp ]]; then
  say "installing the official NEM SDK (npm ci in $sdk)"
  (
    flock 9
    cd "$sdk"
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.hanko-installed
  ) 9>"$sdk/.install.lock"
fi

if [[ $(id -u) -ne 0 ]]; then
  say "not root: the tests that need root (network namespaces, a full tmpfs, other Unix users)"
  say "check only what a non-root user can; CI runs everything as root"
fi

say "cargo test --workspace --locked $*"
exec cargo test --workspace --locked "$@"
