#!/usr/bin/env bash
# Builds a busybox-static initramfs that runs one payload in the corpus kernel.
#   usage: scripts/e2e/initramfs.sh PAYLOAD_DIR OUT.cpio.gz
# The whole of PAYLOAD_DIR becomes /payload in the image (modes kept); it must
# hold guest.sh. The image's /init mounts proc, sysfs, devtmpfs (/dev), debugfs
# (/sys/kernel/debug), tracefs (/sys/kernel/tracing) and bpffs (/sys/fs/bpf),
# brings up lo, sets `ulimit -n 65536`, prints `KC-GUEST-START`, runs
# `sh /payload/guest.sh` from /payload, prints `KC-GUEST-EXIT <status>` and
# powers off (`poweroff -f`; with qemu -no-reboot that ends qemu).
# Needs busybox-static and cpio (scripts/setup.sh installs them).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 PAYLOAD_DIR OUT.cpio.gz" >&2; exit 2; }
PAYLOAD=$1
OUT=$2
die() { printf '[initramfs] ERROR: %s\n' "$*" >&2; exit 1; }

[ -f "$PAYLOAD/guest.sh" ] || die "$PAYLOAD/guest.sh not found"
BUSYBOX=${KCOMPART_BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
if command -v file >/dev/null 2>&1; then
  file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not statically linked (apt-get install busybox-static)"
fi
command -v cpio >/dev/null 2>&1 || die "cpio not found (apt-get install cpio)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/kc-initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,tmp,run,root,payload,etc}
cp "$BUSYBOX" "$STAGE/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$STAGE/bin/$applet"
done
# the console node, so /init has a stdout even before devtmpfs is mounted
# (the kernel's built-in default initramfs provides it too)
if [ "$(id -u)" -eq 0 ]; then mknod -m 600 "$STAGE/dev/console" c 5 1; fi
cp -a "$PAYLOAD"/. "$STAGE/payload/"

cat > "$STAGE/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmpfs /tmp
ip link set lo up
ulimit -n 65536
cd /payload
echo KC-GUEST-START
sh /payload/guest.sh
status=$?
echo "KC-GUEST-EXIT $status"
sync
poweroff -f
INIT
chmod 755 "$STAGE/init"

mkdir -p "$(dirname "$OUT")"
( cd "$STAGE" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner 0:0 --quiet ) | gzip -1 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
