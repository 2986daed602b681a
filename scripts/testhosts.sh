#!/usr/bin/env bash
# Local SSH hosts for the demo and the benchmark: N real sshd servers on loopback addresses
# 127.0.2.1, 127.0.2.2, ... (250 to a /24: host 251 is 127.0.3.1; port 2222), each with its
# own host key, HOME and bin/ at the front of PATH.
#   testhosts.sh start N DIR   → DIR/inventory.ini, DIR/known_hosts, DIR/user_key
#   testhosts.sh stop DIR
set -euo pipefail
cmd=${1:-}; dir=${3:-${2:-}}
# The loopback address of host $1 (1-based).
addr() { echo "127.0.$(( 2 + ($1 - 1) / 250 )).$(( ($1 - 1) % 250 + 1 ))"; }
case "$cmd" in
start)
  n=$2; dir=$(realpath -m "$3"); mkdir -p "$dir" /run/sshd
  [ -x /usr/sbin/sshd ] || { echo "sshd is missing: apt-get install -y openssh-server" >&2; exit 1; }
  [ -f "$dir/user_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/user_key"
  : > "$dir/known_hosts"; echo "[all]" > "$dir/inventory.ini"
  for i in $(seq 1 "$n"); do
    h="host$i"; a=$(addr "$i"); p=2222; hd="$dir/$h"
    mkdir -p "$hd/bin" "$hd/home"
    [ -f "$hd/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -f "$hd/hostkey"
    cp "$dir/user_key.pub" "$hd/authorized_keys"
    cat > "$hd/sshd_config" <<CONF
ListenAddress $a:$p
HostKey $hd/hostkey
AuthorizedKeysFile $hd/authorized_keys
StrictModes no
UsePAM no
PidFile none
PermitRootLogin prohibit-password
MaxStartups 500
Subsystem sftp internal-sftp
SetEnv HOME=$hd/home PATH=$hd/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CONF
    /usr/sbin/sshd -D -f "$hd/sshd_config" -E "$hd/sshd.log" </dev/null >/dev/null 2>&1 &
    echo $! > "$hd/pid"
    echo "[$a]:$p $(cut -d' ' -f1,2 "$hd/hostkey.pub")" >> "$dir/known_hosts"
    echo "$h ansible_host=$a ansible_port=$p ansible_user=root ansible_ssh_private_key_file=$dir/user_key host_dir=$hd" >> "$dir/inventory.ini"
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 100); do
      (exec 3<>"/dev/tcp/$(addr "$i")/2222") 2>/dev/null && break
      sleep 0.05
    done
  done
  echo "$n hosts up: $dir/inventory.ini (known_hosts: $dir/known_hosts)"
  ;;
stop)
  for pid in "$dir"/host*/pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; rm -f "$pid"; done
  ;;
*) echo "usage: $0 start N DIR | stop DIR" >&2; exit 2 ;;
esac
