#!/usr/bin/env bash
# Set up (idempotent) and run the main job on the bundled example: the kcdemo
# module (examples/kcdemo, built against the corpus kernel's headers into
# .cache/e2e/kcdemo) analyzed, mapped to its object, emitted as eBPF and
# compiled with its static loader into out/kcdemo — `kcompart run`. Nothing is
# loaded or attached here; `npm run e2e` does that inside a qemu guest.
# Then writes the static HTML report of that policy (`kcompart report`) into
# out/kcdemo/report, with the loader log of a real e2e run
# (test/fixtures/report/kcdemo-loader.log), and prints its path.
# With an argument, summarizes that .ll file instead (the IR reader alone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -gt 0 ]; then exec node dist/examples/summary.js "$1"; fi
bash scripts/e2e/build-module.sh .cache/e2e/kcdemo
# the corpus kernel (6.1) has no BPF JIT and no bpf_get_kmem_cache kfunc
node dist/src/cli/main.js run --name kcdemo \
  --compartment .cache/e2e/kcdemo/kcdemo.ll --objects .cache/e2e/kcdemo/kcdemo.o \
  --out out/kcdemo --btf ../shared/corpus/linux-6.1/kernel/vmlinux.btf --no-kfunc --no-callbacks
node dist/src/cli/main.js report out/kcdemo/policy.mapped.json --events test/fixtures/report/kcdemo-loader.log -o out/kcdemo/report
echo "report: file://$(pwd)/out/kcdemo/report/index.html"
