#!/usr/bin/env bash
# Builds the kcompart end-to-end example module (examples/kcdemo) against the
# corpus kernel's kbuild headers tree.
#   usage: scripts/e2e/build-module.sh [--ir-only] OUTDIR [LLVM_MAJOR]
# Extracts ../shared/corpus/linux-6.1/kernel/linux-headers-6.1.tar.xz once into
# .cache/linux-headers-6.1/ (idempotent), copies examples/kcdemo into OUTDIR and
# runs kbuild there, so OUTDIR ends up with:
#   kcdemo.ko   the loadable module
#   kcdemo.o    the ET_REL object before modpost linking (what kcompart maps)
#   kcdemo.ll   its textual IR (kbuild's `make kcdemo.ll`: the same c_flags as
#               kcdemo.o plus -emit-llvm -S -fno-discard-value-names)
# --ir-only makes kcdemo.ll alone (one compile: what the reader's oracle
# tests need). LLVM_MAJOR (default 19, the corpus compiler) picks the
# toolchain: kbuild's LLVM=-N. Needs clang-N lld-N llvm-N. Fails on any
# compiler warning.
set -euo pipefail
IR_ONLY=0
if [ "${1:-}" = --ir-only ]; then IR_ONLY=1; shift; fi
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 [--ir-only] OUTDIR [LLVM_MAJOR]" >&2; exit 2; }
V=${2:-19}
case "$V" in ''|*[!0-9]*) echo "LLVM_MAJOR must be a number, got '$V'" >&2; exit 2;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${KCOMPART_CORPUS:-$ROOT/../shared/corpus}
TARBALL=$CORPUS/linux-6.1/kernel/linux-headers-6.1.tar.xz
KDIR=$ROOT/.cache/linux-headers-6.1
OUT=$1

log() { printf '[build-module] %s\n' "$*" >&2; }
die() { printf '[build-module] ERROR: %s\n' "$*" >&2; exit 1; }

for t in clang-$V ld.lld-$V llvm-ar-$V; do
  command -v "$t" >/dev/null 2>&1 || die "$t missing (apt-get install clang-$V lld-$V llvm-$V, or run scripts/setup.sh)"
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
: >"$LOG"
want=(kcdemo.ll)
if [ "$IR_ONLY" = 0 ]; then
  make -C "$KDIR" M="$OUT" LLVM=-$V modules >>"$LOG" 2>&1 || { cat "$LOG" >&2; die "make modules failed"; }
  want=(kcdemo.ko kcdemo.o kcdemo.ll)
fi
make -C "$KDIR" M="$OUT" LLVM=-$V kcdemo.ll >>"$LOG" 2>&1 || { cat "$LOG" >&2; die "make kcdemo.ll failed"; }
end=$(date +%s.%N)

for f in "${want[@]}"; do
  [ -s "$OUT/$f" ] || { cat "$LOG" >&2; die "$f was not produced"; }
done
# the headers tree was built by clang-19: kbuild says so once per make when
# another clang builds against it, which is the point of LLVM_MAJOR, not a defect
if grep -E -i 'warning:|error:' "$LOG" | grep -v -F 'warning: the compiler differs from the one used to build the kernel' >&2; then
  die "the build printed warnings (see $LOG)"
fi
log "built ${want[*]} with clang-$V in $OUT ($(awk "BEGIN{printf \"%.1f\", $end-$start}") s)"
