#!/usr/bin/env bash
# Benchmark (issue 12.5, not a CI step): kernel TUs compiled with clang-22, read
# by kcompart and by irstats-22, must agree. Needs a configured kernel tree, so
# it makes one:
#   1. Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz, setup.sh
#      installs it) extracted once into .cache/llvm22/linux-source-6.1
#   2. the corpus config (../shared/corpus/linux-6.1/kernel/config), then
#      `make LLVM=-22 olddefconfig prepare` (only the compiler version lines
#      of .config change; about 1 CPU-minute)
#   3. `make LLVM=-22 DIR/X.ll` for each TU: by default the corpus's net/ipv6
#      and net/core TUs (96), or the ones named on the command line
#      (e.g. net/ipv6/route.ll net/ipv6/udp.ll)
#   4. irstats-22 on each (X.irstats.json beside X.ll, timed), then the reader
#      on each (dist/scripts/compare-irstats.js: prints the first difference of
#      any file that disagrees, and the reader's time)
# Usage: bash scripts/llvm22-kernel.sh [DIR/X.ll ...]   (npm run bench:llvm22)
# Runs under nice; make -j$JOBS (default 2). Needs clang-22 lld-22 llvm-22
# flex bison libelf-dev (the kernel's own build tools).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CORPUS=${KCOMPART_CORPUS:-$ROOT/../shared/corpus}
WORK=$ROOT/.cache/llvm22
SRC=$WORK/linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
IRSTATS=$ROOT/.cache/irstats-22
JOBS=${JOBS:-2}

log() { printf '[llvm22-kernel] %s\n' "$*" >&2; }
die() { printf '[llvm22-kernel] ERROR: %s\n' "$*" >&2; exit 1; }

for t in clang-22 ld.lld-22 llvm-ar-22 flex bison; do
  command -v "$t" >/dev/null 2>&1 || die "$t missing (run scripts/setup.sh; flex and bison: apt-get install flex bison)"
done
[ -x "$IRSTATS" ] || die "$IRSTATS missing (run scripts/setup.sh)"
[ -f "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.1, or run scripts/setup.sh)"
[ -f "$CORPUS/linux-6.1/kernel/config" ] || die "corpus config missing: $CORPUS/linux-6.1/kernel/config"
[ -f dist/scripts/compare-irstats.js ] || npm run -s build

# ---- 1–2. the configured tree (each step once) ----------------------------------
mkdir -p "$WORK"
if [ ! -f "$SRC/.kcompart-extracted" ]; then
  log "extracting $(basename "$TARBALL") -> .cache/llvm22/"
  rm -rf "$SRC"
  nice -n 10 tar -xJf "$TARBALL" -C "$WORK"
  [ -f "$SRC/Makefile" ] || die "unexpected tarball layout (no linux-source-6.1/Makefile)"
  touch "$SRC/.kcompart-extracted"
fi
if [ ! -f "$SRC/.config" ] || [ "$CORPUS/linux-6.1/kernel/config" -nt "$SRC/.config" ]; then
  cp "$CORPUS/linux-6.1/kernel/config" "$SRC/.config"
  log "make LLVM=-22 olddefconfig"
  nice -n 10 make -C "$SRC" LLVM=-22 olddefconfig >"$WORK/olddefconfig.log" 2>&1 || { cat "$WORK/olddefconfig.log" >&2; die "olddefconfig failed"; }
  # the corpus was configured with clang 19: only the toolchain version lines may differ
  if diff <(grep -v '^#' "$CORPUS/linux-6.1/kernel/config" | sort) <(grep -v '^#' "$SRC/.config" | sort) \
      | grep '^[<>]' | grep -v -E 'CONFIG_(CC_VERSION_TEXT|CLANG_VERSION|AS_VERSION|LLD_VERSION)=' >&2; then
    die "olddefconfig with clang-22 changed the corpus config beyond the compiler versions (above)"
  fi
fi
log "make LLVM=-22 prepare"
nice -n 10 make -C "$SRC" LLVM=-22 -j"$JOBS" prepare >"$WORK/prepare.log" 2>&1 || { tail -30 "$WORK/prepare.log" >&2; die "make prepare failed"; }

# ---- 3. the TUs ------------------------------------------------------------------
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for d in net/ipv6 net/core; do
    for f in "$CORPUS/linux-6.1/$d"/*.ll; do targets+=("$d/$(basename "$f")"); done
  done
fi
log "make LLVM=-22 ${#targets[@]} TUs (.ll)"
t0=$(date +%s.%N)
nice -n 10 make -C "$SRC" LLVM=-22 -j"$JOBS" "${targets[@]}" >"$WORK/tus.log" 2>&1 || { tail -30 "$WORK/tus.log" >&2; die "make of the TUs failed (see $WORK/tus.log)"; }
t1=$(date +%s.%N)

# ---- 4. both readers ---------------------------------------------------------------
files=()
bytes=0
t2=$(date +%s.%N)
for t in "${targets[@]}"; do
  ll=$SRC/$t
  [ -s "$ll" ] || die "$t was not produced"
  "$IRSTATS" "$ll" >"${ll%.ll}.irstats.json" || die "irstats-22 refused $t"
  files+=("$ll")
  bytes=$((bytes + $(stat -c %s "$ll")))
done
t3=$(date +%s.%N)
log "clang-22: $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s; irstats-22 (libLLVM-22 parseIRFile + summary): $(awk "BEGIN{printf \"%.1f\", $t3-$t2}") s for ${#files[@]} files, $((bytes / 1048576)) MB"
nice -n 10 node dist/scripts/compare-irstats.js "${files[@]}"
