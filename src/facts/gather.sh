# ferry's fact gathering: one script, run once per host. The controller keeps the sections
# of the collectors asked for (a section runs from its `#: name` line to the next one) and
# reads the output, where each part starts with a `@@ferry:<name>` line.
#: head
m() { printf '\n@@ferry:%s\n' "$1"; }
#: files
m files; [ -n "$FERRY_FILES" ] && grep -Has '' -- $FERRY_FILES </dev/null
m exists; for p in $FERRY_EXISTS; do [ -e "$p" ] && echo "$p"; done
#: platform
m uname; { read -r a < /proc/sys/kernel/arch && echo "$a"; } 2>/dev/null || uname -m
m fqdn; read -r n < /proc/sys/kernel/hostname; ip=; while read -r a names; do for w in $names; do [ "$w" = "$n" ] && { ip=$a; break 2; }; done; done < /etc/hosts; [ -n "$ip" ] || { set -- $(getent ahosts "$n"); ip=${1:-}; }; found=; [ -n "$ip" ] && while read -r a names; do [ "$a" = "$ip" ] && { echo "$a $names"; found=1; break; }; done < /etc/hosts; [ -n "$ip" ] && [ -z "$found" ] && getent hosts "$ip"
#: lsb
m lsb; command -v lsb_release
#: user
m user; u=${LOGNAME:-${USER:-${LNAME:-${USERNAME:-}}}}; [ -n "$u" ] || while read -r k v rest; do [ "$k" = "Uid:" ] && { u=$v; break; }; done < /proc/self/status; found=; while IFS= read -r l; do case "$l" in "$u":*) echo "$l"; found=1; break;; esac; done < /etc/passwd; [ -n "$found" ] || getent passwd "$u"
#: date_time
m date; t=${EPOCHREALTIME:-}; if [ -n "$t" ]; then for w in "${t%[.,]*}|${t#*[.,]}000" '1577836800|000000000' '1593561600|000000000'; do printf '%(%Y|%m|%d|%H|%M|%S|%s)T|%s|%(%A|%w|%W|%Z|%z|%j)T\n' "${w%|*}" "${w#*|}" "${w%|*}"; done; else printf 'now\n@1577836800\n@1593561600\n' | date -f - '+%Y|%m|%d|%H|%M|%S|%s|%N|%A|%w|%W|%Z|%z|%j'; fi
#: env
m env; export -p
#: caps
m caps; command -v capsh
#: chroot
m chroot; echo "${debian_chroot:-}"; if [ / -ef /proc/1/root/. ]; then echo same; elif [ -e /proc/1/root/. ]; then echo different; else echo "unknown $(stat -c %i /)"; fi
#: pkg_mgr
m rpm_apt; [ -e /usr/bin/rpm ] && [ -e /usr/bin/apt-get ] && /usr/bin/rpm -q --whatprovides /usr/bin/apt-get >/dev/null && echo apt_rpm
m dnf; for p in /usr/bin/dnf /usr/bin/microdnf; do [ -e "$p" ] && readlink -f "$p" && break; done
#: service_mgr
m init; c=; read -r c < /proc/1/comm; case "$c" in ''|init|*sh) echo "init=$(readlink /sbin/init)";; esac; command -v systemctl >/dev/null && echo systemctl=y; command -v initctl >/dev/null && echo initctl=y
#: systemd
m systemd; command -v systemctl >/dev/null && for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e "$c" ] && systemctl --version && break; done
#: python
m python; c="${HOME:-/tmp}/.cache/ferry/python-facts"; for p in $FERRY_PYTHON; do [ -x "$p" ] || p=$(command -v "$p") || continue; if [ -f "$c" ] && ! [ "$p" -nt "$c" ] && read -r k < "$c" && [ "$k" = "$p" ]; then while IFS= read -r l; do printf '%s\n' "$l"; done < "$c"; break; fi; out=$("$p" -I -c 'import sys, json, importlib.util as u
print(json.dumps({"executable": sys.executable, "version_info": list(sys.version_info), "type": sys.implementation.name, "ssl": u.find_spec("ssl") is not None, "bits": sys.maxsize > 2**32}))') || continue; printf '%s\n' "$out"; mkdir -p "${c%/*}" && printf '%s\n%s\n' "$p" "$out" > "$c"; break; done
#: local
m local; for f in "$FERRY_FACT_PATH"/*.fact; do [ -e "$f" ] || continue; if [ -x "$f" ]; then out=$("$f"); rc=$?; printf '@@ferry:fact\n%s\n%s\n' "$f" "$rc"; printf '%s\n' "$out"; else printf '@@ferry:fact\n%s\n-\n' "$f"; cat "$f"; echo; fi; done
#: network
m ip4; ip -force -batch - <<'IP'
route get 8.8.8.8
addr show
route show table local
IP
m ip6; ip -6 -force -batch - <<'IP'
route get 2404:6800:400a:800::1012
route show table local
IP
m links; ls -l /sys/class/net/*/device /sys/class/net/*/device/driver/module
m brif; for p in /sys/class/net/*/brif/*; do [ -e "$p" ] && echo "$p"; done
#: hardware
m mounts; findmnt --list --noheadings --notruncate
m statfs; set --; while read -r dev mnt fs rest; do case "$dev" in /*|\\*|*:/*) case "$mnt" in *\\*) mnt=$(printf '%b' "$mnt");; esac; [ "$fs" = none ] || set -- "$@" "$mnt";; esac; done < /proc/mounts; [ $# -gt 0 ] && timeout "$FERRY_TIMEOUT" stat -f -c '%n|%s|%S|%b|%f|%a|%c|%d' -- "$@"
m disks; ls -l /dev/disk/by-id /dev/disk/by-uuid /dev/disk/by-label
m holders; for p in /sys/block/*/holders/* /sys/block/*/*/holders/*; do [ -e "$p" ] && echo "$p"; done
m parts; for p in /sys/block/*/*/partition; do [ -e "$p" ] && echo "${p%/partition}"; done
m lvm; [ "${EUID:-$(id -u)}" = 0 ] && command -v vgs >/dev/null && { vgs --noheadings --nosuffix --units g --separator ,; echo @@lvs; lvs --noheadings --nosuffix --units g --separator ,; echo @@pvs; pvs --noheadings --nosuffix --units g --separator ,; }
#: virtual
m dev_kvm; [ -e /dev/kvm ] && echo yes
