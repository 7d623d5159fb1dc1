#!/usr/bin/env bash
# Builds the kcompart end-to-end example module (examples/kcdemo) against the
# corpus kernel's kbuild headers tree.
#   usage: scripts/e2e/build-module.sh OUTDIR
# Extracts ../shared/corpus/linux-6.1/kernel/linux-headers-6.1.tar.xz once into
# .cache/linux-headers-6.1/ (idempotent), copies examples/kcdemo into OUTDIR and
# runs kbuild there, so OUTDIR ends up with:
#   kcdemo.ko   the loadable module
#   kcdemo.o    the ET_REL object before modpost linking (what kcompart maps)
#   kcdemo.ll   its textual IR (kbuild's `make kcdemo.ll`: the same c_flags as
#               kcdemo.o plus -emit-llvm -S -fno-discard-value-names)
# Needs clang-19 lld-19 llvm-19. Fails on any compiler warning.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${KCOMPART_CORPUS:-$ROOT/../shared/corpus}
TARBALL=$CORPUS/linux-6.1/kernel/linux-headers-6.1.tar.xz
KDIR=$ROOT/.cache/linux-headers-6.1
OUT=$1

log() { printf '[build-module] %s\n' "$*" >&2; }
die() { printf '[build-module] ERROR: %s\n' "$*" >&2; exit 1; }

for t in clang-19 ld.lld-19 llvm-ar-19; do
  command -v "$t" >/dev/null 2>&1 || die "$t missing (apt-get install clang-19 lld-19 llvm-19, or run scripts/setup.sh)"
done

# ---- the headers tree, extracted once (under a lock: tests may run in parallel) ----
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/linux-headers-6.1.lock"
flock 9
if [ ! -f "$KDIR/.kcompart-extracted" ]; then
  [ -f "$TARBALL" ] || die "headers tarball not found: $TARBALL"
  log "extracting $(basename "$TARBALL") -> .cache/linux-headers-6.1"
  rm -rf "$KDIR" "$KDIR.tmp"
  mkdir -p "$KDIR.tmp"
  tar -xJf "$TARBALL" -C "$KDIR.tmp"
  [ -f "$KDIR.tmp/linux-headers-6.1/Makefile" ] || die "unexpected tarball layout (no linux-headers-6.1/Makefile)"
  mv "$KDIR.tmp/linux-headers-6.1" "$KDIR"
  rmdir "$KDIR.tmp"
  touch "$KDIR/.kcompart-extracted"
fi
flock -u 9

# ---- a fresh copy of the sources, then kbuild -----------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$OUT" in "$ROOT/examples/kcdemo") die "OUTDIR must not be the source directory";; esac
rm -f "$OUT"/kcdemo.* "$OUT"/.kcdemo.* "$OUT"/Module.symvers "$OUT"/modules.order "$OUT"/.modules.order.cmd "$OUT"/.Module.symvers.cmd
cp "$ROOT/examples/kcdemo/kcdemo.c" "$ROOT/examples/kcdemo/Makefile" "$OUT/"

LOG=$OUT/build.log
start=$(date +%s.%N)
make -C "$KDIR" M="$OUT" LLVM=-19 modules >"$LOG" 2>&1 || { cat "$LOG" >&2; die "make modules failed"; }
make -C "$KDIR" M="$OUT" LLVM=-19 kcdemo.ll >>"$LOG" 2>&1 || { cat "$LOG" >&2; die "make kcdemo.ll failed"; }
end=$(date +%s.%N)

for f in kcdemo.ko kcdemo.o kcdemo.ll; do
  [ -s "$OUT/$f" ] || { cat "$LOG" >&2; die "$f was not produced"; }
done
if grep -E -i 'warning:|error:' "$LOG" >&2; then
  die "the build printed warnings (see $LOG)"
fi
log "built kcdemo.ko, kcdemo.o, kcdemo.ll in $OUT ($(awk "BEGIN{printf \"%.1f\", $end-$start}") s)"
