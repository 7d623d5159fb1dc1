#!/usr/bin/env bash
# Rebuilds the corpus kernel (../shared/corpus/linux-6.1) from Debian's
# linux-source-6.1 with clang-19 into .cache/kernel/, collects the textual IR of
# the whole tree with `kcompart collect`, and checks that the rebuild IS the
# corpus build: every shared net/ipv6 object's .text equals the rebuilt one's.
#   usage: scripts/kernel/rebuild.sh            (all steps; finished ones are skipped)
#          KCOMPART_KERNEL_DIR=DIR scripts/kernel/rebuild.sh
# Layout under .cache/kernel/ (several GB; never goes into the repo or ../shared):
#   deb/        the pinned linux-source-6.1 .deb and its extracted contents
#   linux-source-6.1/   the kbuild tree: .config, vmlinux, bzImage, *.o, *.ll
#   rebuild.log what the last run printed (when started with nohup, see below)
# Each step leaves a stamp (.kcompart-*) so a re-run does only what is left; the
# kernel build itself is make's own incremental build. This is a benchmark
# prerequisite, not a CI step: CI keeps using the shared corpus.
#   nohup scripts/kernel/rebuild.sh > .cache/kernel/rebuild.log 2>&1 &
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${KCOMPART_CORPUS:-$ROOT/../shared/corpus}
WORK=${KCOMPART_KERNEL_DIR:-$ROOT/.cache/kernel}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd -P)
# The revision whose clang-19 build reproduces the shared objects' .text byte for
# byte, as an earlier session found; step 6 checks it again on every run.
PKG=linux-source-6.1
REV=6.1.192-2
LLVMV=19
JOBS=${JOBS:-2}
# The machine is shared: the build and the collection run niced (NICE=0 on a machine of your own).
NICE=${NICE:-10}
TREE=$WORK/linux-source-6.1
CONFIG=$CORPUS/linux-6.1/kernel/config

log() { printf '[rebuild %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '[rebuild] ERROR: %s\n' "$*" >&2; exit 1; }
T0=$(date +%s)

[ -f "$CONFIG" ] || die "corpus config not found: $CONFIG (set KCOMPART_CORPUS)"

# ---- 1. build tools ------------------------------------------------------------
TOOLS="dwarves bc flex bison libssl-dev libelf-dev clang-$LLVMV lld-$LLVMV llvm-$LLVMV"
missing=""
for p in $TOOLS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  log "installing:$missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
else
  log "step 1: build tools present"
fi

# ---- 2. the pinned source package --------------------------------------------------
if [ ! -f "$WORK/deb/.kcompart-extracted" ]; then
  if ! apt-cache madison "$PKG" | awk '{print $3}' | grep -qx "$REV"; then
    apt-get update -qq
    apt-cache madison "$PKG" | awk '{print $3}' | grep -qx "$REV" || die \
      "$PKG=$REV is not offered by the configured apt sources (apt-cache madison $PKG lists: $(apt-cache madison "$PKG" | awk '{print $3}' | tr '\n' ' ')). It is the revision that reproduces the corpus objects; add bookworm-security to the apt sources."
  fi
  log "step 2: downloading $PKG=$REV"
  rm -rf "$WORK/deb"
  mkdir -p "$WORK/deb"
  (cd "$WORK/deb" && apt-get download -qq "$PKG=$REV")
  deb=$(ls "$WORK/deb/${PKG}_"*.deb)
  dpkg-deb -x "$deb" "$WORK/deb/root"
  [ -f "$WORK/deb/root/usr/src/$PKG.tar.xz" ] || die "$deb has no usr/src/$PKG.tar.xz"
  touch "$WORK/deb/.kcompart-extracted"
else
  log "step 2: $PKG=$REV already downloaded"
fi

# ---- 3. the source tree --------------------------------------------------------
if [ ! -f "$TREE/.kcompart-untarred" ]; then
  log "step 3: unpacking the sources into $TREE"
  rm -rf "$TREE"
  tar -xJf "$WORK/deb/root/usr/src/$PKG.tar.xz" -C "$WORK"
  [ -f "$TREE/Makefile" ] || die "unexpected tarball layout (no $PKG/Makefile)"
  touch "$TREE/.kcompart-untarred"
else
  log "step 3: sources already unpacked"
fi

# ---- 4. configuration -----------------------------------------------------------
cd "$TREE"
if [ ! -f .kcompart-configured ] || ! cmp -s "$CONFIG" .kcompart-configured; then
  log "step 4: .config from $CONFIG, make LLVM=-$LLVMV olddefconfig"
  cp "$CONFIG" .config
  make -s LLVM=-$LLVMV olddefconfig
  # olddefconfig must not change anything the corpus build chose.
  if ! diff <(grep -v '^#' "$CONFIG" | grep -v '^$' | sort) <(grep -v '^#' .config | grep -v '^$' | sort) >/dev/null; then
    diff <(grep -v '^#' "$CONFIG" | grep -v '^$' | sort) <(grep -v '^#' .config | grep -v '^$' | sort) >&2 || true
    die "olddefconfig changed the corpus configuration (is clang-$LLVMV the compiler found?)"
  fi
  cp "$CONFIG" .kcompart-configured
  rm -f .kcompart-built
else
  log "step 4: already configured"
fi

# ---- 5. net/ipv6 first: the .text check needs only it, so a wrong source fails in minutes
if [ ! -f .kcompart-built ]; then
  log "step 5: nice -n $NICE make LLVM=-$LLVMV -j$JOBS net/ipv6/ (the objects the check compares)"
  nice -n "$NICE" make -s LLVM=-$LLVMV -j"$JOBS" net/ipv6/
fi

# ---- 6. .text check: is this the corpus build? ----------------------------------
log "step 6: comparing .text of the corpus net/ipv6 objects with the rebuilt ones"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
same=0 differ=0 absent=0
for o in "$CORPUS"/linux-6.1/net/ipv6/*.o; do
  b=$(basename "$o")
  r=$TREE/net/ipv6/$b
  if [ ! -f "$r" ]; then absent=$((absent + 1)); printf '  absent: net/ipv6/%s\n' "$b" >&2; continue; fi
  llvm-objcopy-$LLVMV --dump-section .text="$tmp/a" "$o" /dev/null 2>/dev/null || : >"$tmp/a"
  llvm-objcopy-$LLVMV --dump-section .text="$tmp/b" "$r" /dev/null 2>/dev/null || : >"$tmp/b"
  if cmp -s "$tmp/a" "$tmp/b"; then same=$((same + 1)); else differ=$((differ + 1)); printf '  .text differs: net/ipv6/%s\n' "$b" >&2; fi
done
log "step 6: .text equal in $same objects, different in $differ, absent in $absent"
[ "$differ" -eq 0 ] && [ "$absent" -eq 0 ] || die "the rebuilt tree is not the corpus build"

# ---- 7. the whole kernel -------------------------------------------------------------
if [ ! -f .kcompart-built ]; then
  log "step 7: nice -n $NICE make LLVM=-$LLVMV -j$JOBS bzImage modules (about an hour of CPU)"
  b0=$(date +%s)
  nice -n "$NICE" make -s LLVM=-$LLVMV -j"$JOBS" bzImage modules
  [ -f vmlinux ] && [ -f arch/x86/boot/bzImage ] || die "make finished without vmlinux/bzImage"
  echo "$(( $(date +%s) - b0 ))" > .kcompart-built
  log "step 7: built in $(cat .kcompart-built) s"
else
  log "step 7: kernel already built (in $(cat .kcompart-built) s)"
fi

# ---- 8. kcompart collect over the whole tree ----------------------------------------
CLI=$ROOT/dist/src/cli/main.js
[ -f "$ROOT/dist/src/collect/index.js" ] || (cd "$ROOT" && npm run -s build)
log "step 8: kcompart collect $TREE -j$JOBS (incremental: up-to-date .ll files are skipped)"
nice -n "$NICE" node "$CLI" collect "$TREE" -j "$JOBS" --json > "$WORK/collect-summary.json"

# The collected IR of the corpus TUs (net/ipv6, net/core) must be what the corpus holds, once the
# build directory's path (!DIFile's directory) is set aside.
lsame=0 ldiff=0
for l in "$CORPUS"/linux-6.1/net/ipv6/*.ll "$CORPUS"/linux-6.1/net/core/*.ll; do
  rel=${l#"$CORPUS"/linux-6.1/}
  if cmp -s <(sed 's#directory: "[^"]*"#directory: ""#' "$l") \
            <(sed 's#directory: "[^"]*"#directory: ""#' "$TREE/$rel"); then
    lsame=$((lsame + 1))
  else
    ldiff=$((ldiff + 1)); printf '  IR differs: %s\n' "$rel" >&2
  fi
done
log "step 8: collected IR equals the corpus .ll (build path aside) for $lsame net/ipv6 + net/core TUs, differs for $ldiff"

# ---- summary ---------------------------------------------------------------------
echo "corpus kernel rebuilt in $TREE"
echo "  vmlinux $(stat -c %s vmlinux) bytes, bzImage $(stat -c %s arch/x86/boot/bzImage) bytes, built in $(cat .kcompart-built) s"
echo "  .text check: $same/$((same + differ + absent)) net/ipv6 objects equal the corpus's"
echo "  IR check: $lsame/$((lsame + ldiff)) net/ipv6 + net/core .ll equal the corpus's (build path aside)"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const sk = Object.entries(s.skipped).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(", ");
console.log(`  collect: ${s.units} TUs (${s.compiled} compiled this run, ${s.upToDate} up to date), ${(s.bytes / 1e9).toFixed(2)} GB of IR, ${s.seconds.toFixed(0)} s wall, ${s.cpuSeconds?.toFixed(0)} CPU-s, -j${s.jobs}; not collected: ${sk}`);
' "$WORK/collect-summary.json"
echo "  total time of this run: $(( $(date +%s) - T0 )) s"
[ "$ldiff" -eq 0 ] || die "collected IR differs from the corpus for $ldiff TUs"
