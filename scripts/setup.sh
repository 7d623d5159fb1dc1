#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (CI runs it as root, CI=true, no stdin).
#   1. apt packages clang-19 llvm-19 llvm-19-dev lld-19, and for eBPF bpftool
#      libbpf-dev libelf-dev zlib1g-dev, for end-to-end runs qemu-system-x86
#      busybox-static cpio, clang-14, and chromium for the report's browser test, and
#      clang-22 llvm-22 llvm-22-dev lld-22 for the LLVM 22 reader tests (only if missing)
#   2. npm ci            (only if node_modules is missing or older than package-lock.json)
#   3. npm run build     (tsc -> dist/)
#   4. the irstats oracles -> .cache/irstats-19, .cache/irstats-22 (only if not built yet)
# Safe to run repeatedly; prints what it does and fails loudly on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED="$ROOT/../shared"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- 1. system packages ------------------------------------------------------
need_pkgs=()
command -v clang-19     >/dev/null 2>&1 || need_pkgs+=(clang-19)
command -v llvm-as-19   >/dev/null 2>&1 || need_pkgs+=(llvm-19)
command -v llvm-config-19 >/dev/null 2>&1 || need_pkgs+=(llvm-19-dev)
# llvm-config exists without the -dev package on some layouts; check the library/headers too
if command -v llvm-config-19 >/dev/null 2>&1; then
  inc=$(llvm-config-19 --includedir 2>/dev/null || true)
  [ -f "$inc/llvm/IR/Module.h" ] || need_pkgs+=(llvm-19-dev)
fi
command -v ld.lld-19    >/dev/null 2>&1 || need_pkgs+=(lld-19)
command -v clang++-19   >/dev/null 2>&1 || need_pkgs+=(clang-19)
# LLVM 22 (issue 12): the reader reads what clang 20–22 write; kcdemo is built
# with LLVM=-22 (clang, ld.lld, llvm-ar…) and held to irstats built against libLLVM-22
command -v clang-22     >/dev/null 2>&1 || need_pkgs+=(clang-22)
command -v llvm-ar-22   >/dev/null 2>&1 || need_pkgs+=(llvm-22)
command -v ld.lld-22    >/dev/null 2>&1 || need_pkgs+=(lld-22)
if command -v llvm-config-22 >/dev/null 2>&1; then
  inc=$(llvm-config-22 --includedir 2>/dev/null || true)
  [ -f "$inc/llvm/IR/Module.h" ] || need_pkgs+=(llvm-22-dev)
else
  need_pkgs+=(llvm-22-dev)
fi
# eBPF (issue 5): bpftool (vmlinux.h from BTF, loading in tests), libbpf headers, libelf, zlib
command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || need_pkgs+=(bpftool)
[ -f /usr/include/bpf/bpf_helpers.h ] || need_pkgs+=(libbpf-dev)
[ -f /usr/include/libelf.h ] || need_pkgs+=(libelf-dev)
[ -f /usr/include/zlib.h ] || need_pkgs+=(zlib1g-dev)
# end-to-end runs (scripts/e2e): the corpus kernel under qemu with a busybox-static
# initramfs made with cpio; clang-14 builds the typed-pointer IR of the clang 14 corpus
command -v qemu-system-x86_64 >/dev/null 2>&1 || need_pkgs+=(qemu-system-x86)
dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
command -v clang-14 >/dev/null 2>&1 || need_pkgs+=(clang-14)
# the report's browser test (test/report/browser.test.ts): Debian's headless chromium
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
# the source-level allocation-type oracle (issue 14, scripts/alloc-oracle.py): libclang's Python
# binding and the kernel C source the corpus was built from
/usr/bin/python3 -c 'import clang.cindex' >/dev/null 2>&1 || need_pkgs+=(python3-clang-19)
[ -f /usr/src/linux-source-6.1.tar.xz ] || need_pkgs+=(linux-source-6.1)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  # de-duplicate
  mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
  log "installing apt packages: ${need_pkgs[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    die "missing packages (${need_pkgs[*]}) and not root and no sudo: install them by hand"
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -y </dev/null
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" </dev/null
  for t in clang-19 llvm-as-19 llvm-config-19 ld.lld-19 clang-22 llvm-ar-22 llvm-config-22 ld.lld-22; do
    command -v "$t" >/dev/null 2>&1 || die "$t still missing after apt-get install"
  done
  command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || die "bpftool still missing after apt-get install"
  [ -f /usr/include/bpf/bpf_helpers.h ] || die "libbpf-dev headers still missing after apt-get install"
  for t in qemu-system-x86_64 cpio clang-14 chromium; do
    command -v "$t" >/dev/null 2>&1 || die "$t still missing after apt-get install"
  done
  dpkg -s busybox-static >/dev/null 2>&1 || die "busybox-static still missing after apt-get install"
else
  log "apt packages present (clang-19, llvm-19, llvm-19-dev, lld-19, clang-22, llvm-22, llvm-22-dev, lld-22, bpftool, libbpf-dev, libelf-dev, zlib1g-dev, qemu-system-x86, busybox-static, cpio, clang-14, chromium)"
fi

# ---- 2. node dependencies ----------------------------------------------------
command -v node >/dev/null 2>&1 || die "node (>= 20) is not installed"
command -v npm  >/dev/null 2>&1 || die "npm is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "node >= 20 required, found $(node --version)"

if [ -L node_modules ]; then
  # a git worktree sharing another checkout's install: `npm ci` here would empty the
  # shared directory through the link (and then replace the link by a copy)
  [ -d node_modules/zod ] || die "node_modules links to $(readlink node_modules), which has no install: run npm ci there"
  log "node_modules is a link to $(readlink node_modules): left alone"
elif [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # the lock is complete (rollup is pinned by an override to a release whose every
  # platform package the registry serves), so a strict install must succeed
  log "npm ci"
  npm ci --no-audit --no-fund </dev/null
else
  log "node_modules up to date"
fi

# ---- 3. build ------------------------------------------------------------------
log "npm run build"
npm run --silent build </dev/null

# ---- 4. the irstats oracles: LLVM 19 (the corpus) and LLVM 22 (issue 12) ----------
mkdir -p .cache
SRC="$SHARED/tools/irstats/irstats.cpp"
for v in 19 22; do
  IRSTATS="$ROOT/.cache/irstats-$v"
  if [ -x "$IRSTATS" ] && { [ ! -f "$SRC" ] || [ "$IRSTATS" -nt "$SRC" ]; }; then
    log "irstats oracle present: .cache/irstats-$v"
  else
    [ -x "$SHARED/tools/irstats/build.sh" ] || [ -f "$SHARED/tools/irstats/build.sh" ] \
      || die "shared tools not found at $SHARED/tools/irstats"
    log "building irstats oracle -> .cache/irstats-$v"
    sh "$SHARED/tools/irstats/build.sh" "$IRSTATS" "$v" >/dev/null
    [ -x "$IRSTATS" ] || die "irstats build did not produce $IRSTATS"
  fi
done

# ---- 5. vmlinux.h of the corpus kernel (for runtime/bpf and test/bpf, issue 5; never committed) ----
BTF="$SHARED/corpus/linux-6.1/kernel/vmlinux.btf"
VMH="$ROOT/.cache/vmlinux-6.1.h"
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
if [ -f "$BTF" ]; then
  if [ -s "$VMH" ] && [ "$VMH" -nt "$BTF" ]; then
    log "vmlinux.h present: .cache/vmlinux-6.1.h"
  else
    log "bpftool btf dump -> .cache/vmlinux-6.1.h"
    "$BPFTOOL" btf dump file "$BTF" format c > "$VMH.tmp" && mv "$VMH.tmp" "$VMH"
  fi
  ln -sf vmlinux-6.1.h "$ROOT/.cache/vmlinux.h"
fi

[ -d "$SHARED/corpus" ] || log "warning: corpus not found at $SHARED/corpus (corpus tests will fail)"
log "done"
