#!/usr/bin/env bash
# The demo on a fresh Debian machine: builds ferry, starts 3 local SSH hosts whose `docker`
# is a stand-in that records its calls, and runs the reference playbooks against them, then
# the CI → CD pipeline (playbooks/pipeline.yml). Installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v git >/dev/null || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo is missing: install Rust (rustup) first" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
cargo build --release -q
ferry="$CARGO_TARGET_DIR/release/ferry"
demo="${DEMO_DIR:-/tmp/ferry-demo}"
bash scripts/testhosts.sh stop "$demo" 2>/dev/null || true
bash scripts/testhosts.sh start 3 "$demo"
trap 'bash scripts/testhosts.sh stop "$demo"' EXIT
printf '\n[build]\nhost1\n\n[kubernetes]\nhost3\n' >> "$demo/inventory.ini"
for h in "$demo"/host*; do
  cat > "$h/bin/docker" <<'FAKE'
#!/bin/sh
# demo stand-in for docker: records the call; rmi fails when the image is absent
d="$HOME/.."; echo "$(pwd) docker $*" >> "$d/docker.log"
case "$1" in
  rmi) grep -qx "$2" "$d/images" 2>/dev/null || { echo "Error: No such image: $2" >&2; exit 1; }
       grep -vx "$2" "$d/images" > "$d/images.new"; mv "$d/images.new" "$d/images";;
  build) echo "$3" >> "$d/images"; echo "Successfully tagged $3";;
  push) echo "pushed $2";;
esac
FAKE
  cat > "$h/bin/kubectl" <<'FAKE'
#!/bin/sh
# demo stand-in for kubectl: records the call and answers as kubectl does
echo "kubectl $*" >> "$HOME/../kubectl.log"
case "$1" in
  apply) echo "deployment.apps/cicd-deployment configured";;
  delete) echo "deployment.apps \"cicd-deployment\" deleted";;
esac
FAKE
  chmod +x "$h/bin/docker" "$h/bin/kubectl"; rm -f "$h/docker.log" "$h/kubectl.log" "$h/images"
  rm -f "/tmp/handlers-order-$(basename "$h").log"
done
run() { echo; echo "\$ ferry $*"; "$ferry" "$@" || echo "(exit $?)"; }
run run playbooks/create-cicd-devops-images.yml -i "$demo/inventory.ini" --known-hosts "$demo/known_hosts"
echo; echo "== what host1's docker recorded:"; cat "$demo/host1/docker.log"
run run playbooks/handlers-order.yml -i "$demo/inventory.ini" --known-hosts "$demo/known_hosts"
echo; echo "== /tmp/handlers-order-host1.log:"; cat /tmp/handlers-order-host1.log
if [ -f playbooks/pipeline.yml ]; then
  run pipeline run playbooks/pipeline.yml -e "demo_inventory=$demo/inventory.ini" --known-hosts "$demo/known_hosts" --history-db "$demo/history.db"
  run history --history-db "$demo/history.db"
fi
