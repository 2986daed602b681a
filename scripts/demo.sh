#!/usr/bin/env bash
# The demo on a fresh Debian machine: builds ferry, starts 3 local SSH hosts whose `docker`
# is a stand-in that records its calls, and runs the reference playbooks against them, then
# the CI → CD pipeline (playbooks/pipeline.yml). Then the same scenario for real: a Docker
# engine per host and a registry, and the pipeline playbooks/pipeline-docker.yml (build and
# push, roll out one host at a time behind an HTTP gate, kubectl apply with a stand-in
# kubectl). Installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
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
cleanup() {
  for p in "$demo"/dockerd-*.pid "$demo"/registry.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  bash scripts/testhosts.sh stop "$demo"
}
trap cleanup EXIT
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
  run pipeline run playbooks/pipeline.yml -e "demo_inventory=$demo/inventory.ini" --known-hosts "$demo/known_hosts" --history-db "$demo/history.db" --report "$demo/pipeline-report.html"
  run history --history-db "$demo/history.db"
  echo; echo "== the run's report, one self-contained page: file://$demo/pipeline-report.html"
fi

echo; echo "== the same scenario on real Docker engines and a registry"
reg_port=15000
cat > "$demo/registry.yml" <<REG
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $demo/registry}}
http: {addr: "127.0.0.1:$reg_port"}
REG
docker-registry serve "$demo/registry.yml" >"$demo/registry.log" 2>&1 & echo $! > "$demo/registry.pid"
for i in 1 2 3; do
  d="$demo/docker$i"; mkdir -p "$d"
  dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" -H "unix://$d/sock" \
    --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs >"$d/log" 2>&1 &
  echo $! > "$demo/dockerd-$i.pid"
  printf '#!/bin/sh\nexec /usr/bin/docker -H unix://%s "$@"\n' "$d/sock" > "$demo/host$i/bin/docker"
  chmod +x "$demo/host$i/bin/docker"
done
cp tests/deploy/kubectl "$demo/host3/bin/kubectl"; rm -rf "$demo/host3/home/kubectl-state" "$demo/host3/home/kubectl.log"
for i in 1 2 3; do
  for _ in $(seq 100); do /usr/bin/docker -H "unix://$demo/docker$i/sock" version >/dev/null 2>&1 && break; sleep 0.2; done
done
app="$demo/app"; rm -rf "$app"; mkdir -p "$app/www"; cp /bin/busybox "$app/busybox"
echo "hello from ferry's demo app" > "$app/www/index.html"
cat > "$app/Dockerfile" <<'DF'
FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
COPY www /www
ENV PORT=8080
CMD ["/bin/busybox", "sh", "-c", "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www"]
DF
inv="$demo/inventory-docker.ini"
grep '^host' "$demo/inventory.ini" | sort -u > "$inv"
printf '\n[build]\nhost1\n\n[app]\nhost2 app_port=18082\nhost3 app_port=18083\n\n[kubernetes]\nhost3\n' >> "$inv"
run pipeline run playbooks/pipeline-docker.yml -e "demo_inventory=$inv registry=127.0.0.1:$reg_port app_src=$app build_root=$demo/host1" \
  --known-hosts "$demo/known_hosts" --history-db "$demo/history.db"
echo; echo "== the app answers on both app hosts:"
curl -s http://127.0.0.1:18082/; curl -s http://127.0.0.1:18083/
echo "== what the stand-in kubectl was asked:"; cat "$demo/host3/home/kubectl.log"
