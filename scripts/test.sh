#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine. Installs what the tests need (OpenSSH server
# and client, git, curl, python3-venv, ansible-core and moto in venvs, Docker's engine, a
# registry and a static busybox for the deploy tests), then runs rustfmt, clippy and every
# test. Cargo's target dir defaults to ~/.cache/ferry-target so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
command -v xmllint >/dev/null || need+=(libxml2-utils)
[ -x /usr/bin/sudo ] || need+=(sudo)
command -v ip >/dev/null || need+=(iproute2)
command -v crontab >/dev/null || need+=(cron)
[ -d /etc/modprobe.d ] || need+=(kmod) # tests/system_modules.rs: modprobe's persistence files
[ -x /usr/sbin/update-rc.d ] || need+=(init-system-helpers)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v debconf-show >/dev/null || need+=(debconf) # tests/fallback.rs runs ansible.builtin.debconf
command -v python3 >/dev/null || need+=(python3)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql) # tests/state_pg.rs starts private clusters
command -v openssl >/dev/null || need+=(openssl) # tests/state_pg_tls.rs makes a CA and a server certificate
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
[ -x /usr/bin/chromium ] || need+=(chromium) # tests/report.rs opens the HTML reports in it
command -v npm >/dev/null || need+=(npm)
for t in zip unzip zstd bzip2 xz; do command -v $t >/dev/null || need+=("${t/#xz/xz-utils}"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing: ${need[*]}"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${need[@]}" >/dev/null
fi
$sudo_ mkdir -p /run/sshd

echo "== playwright-core (drives Chromium in tests/report.rs; its own browser download is not used)"
[ -d "$HOME/.cache/ferry-node/node_modules/playwright-core" ] ||
  npm install --no-audit --no-fund --prefix "$HOME/.cache/ferry-node" playwright-core >/dev/null
echo "== ansible-core for the conformance tests"
FERRY_ANSIBLE_PLAYBOOK="$(bash scripts/ansible-venv.sh)"
export FERRY_ANSIBLE_PLAYBOOK
echo "== the corpus of the syntax-check comparison (ansible from PyPI)"
bash scripts/corpus.sh >/dev/null
echo "== DebOps from PyPI (its collection's Python filter plugins, tests/template_plugins.rs)"
bash scripts/debops.sh >/dev/null
echo "== the Debian bookworm root of the system-host tests (built once, cached)"
bash scripts/rootfs.sh >/dev/null
echo "== moto (a local EC2 API) and boto3 for the EC2 inventory tests"
FERRY_MOTO_PYTHON="$(bash scripts/moto-venv.sh)"
export FERRY_MOTO_PYTHON

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== tests"
if command -v cargo-nextest >/dev/null; then
  cargo nextest run --no-fail-fast
else
  cargo test
fi
