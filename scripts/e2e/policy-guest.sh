#!/bin/sh
# The policy run inside the guest, as /payload/guest.sh (scripts/e2e/initramfs.sh
# runs it). Generic over the compartment; the payload holds:
#   loader                 the generated loader (src/emit), the policy's BPF object built in
#   prepare.sh             optional: set-up before anything is measured (insmod …)
#   workload.sh            the legitimate workload, one round per run
#   bug.sh                 optional: the operation with the memory-safety bug
#   attack.sh              optional: the attack matrix and the injected writes (sourced: it
#                          uses $LOADER and wait_for)
#   loader-args            optional: the loader's options (--on-violation kill, --matrix …)
#   rounds                 line 1: rounds of the workload per timed phase
# Steps (markers on the console, parsed by scripts/e2e/run.ts):
#   1. prepare; the workload timed WITHOUT the policy       KC-E2E-TIME bare <centiseconds>
#   2. the loader attaches the policy (audit phase), one round of the workload
#   3. enforce (SIGUSR1); the workload timed WITH the policy KC-E2E-TIME policy <centiseconds>
#      its rounds and the optimized site kprobes             KC-E2E-ROUNDS, KC-E2E-KPROBES
#      counters after the legitimate work (SIGUSR2)         KC-E2E-LEGIT-DONE
#   4. the bug, if any; counters, detach (SIGINT)            KC-E2E-BUG-DONE
#   5. the loader's log, dmesg                               KC-E2E-OK | KC-E2E-FAIL <why>
set -u
cd /payload
fail() { echo "KC-E2E-FAIL $*"; [ -f /tmp/loader.log ] && cat /tmp/loader.log; dmesg | tail -50; exit 1; }
ROUNDS=$(head -n1 /payload/rounds 2>/dev/null || echo 10)

# centiseconds since boot
now() { read up _ < /proc/uptime; echo "${up%.*}${up#*.}"; }
timed() {
  t0=$(now)
  i=0
  while [ "$i" -lt "$ROUNDS" ]; do
    sh /payload/workload.sh "$i" || return 1
    i=$((i + 1))
  done
  t1=$(now)
  echo "KC-E2E-TIME $1 $((t1 - t0))"
}
wait_for() { # pattern, seconds
  n=0
  while ! grep -q "$1" /tmp/loader.log 2>/dev/null; do
    n=$((n + 1))
    [ "$n" -gt $(($2 * 10)) ] && return 1
    if ! kill -0 "$LOADER" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
}

if [ -f /payload/prepare.sh ]; then sh /payload/prepare.sh || fail "prepare.sh"; fi
sh /payload/workload.sh warmup || fail "workload (no policy)"
timed bare || fail "workload (no policy)"

./loader $(cat /payload/loader-args 2>/dev/null) > /tmp/loader.log 2>&1 &
LOADER=$!
if ! wait_for '^KC-READY' 3000; then
  echo "---- loader, again with --verbose --no-attach ----"
  ./loader --verbose --no-attach --duration 0 2>&1 | grep -v '^libbpf: prog .*: -- ' | tail -80
  fail "the loader did not get ready"
fi
grep -E '^KC-(KNOBS|LOADED|MAPS|RUNTIME|ATTACHED|WIDENED)' /tmp/loader.log
echo "KC-E2E-REFUSED $(grep -c '^KC-REFUSED' /tmp/loader.log)"
grep '^KC-REFUSED' /tmp/loader.log | head -20

sh /payload/workload.sh audit || fail "workload (audit)"
kill -USR1 "$LOADER"
wait_for '^KC-PHASE enforce' 30 || fail "no switch to enforce"
timed policy || fail "workload (enforce)"
echo "KC-E2E-ROUNDS $ROUNDS"
# the site kprobes the kernel optimized into jumps (bench/cost.ts weighs the trap cost by it)
if [ -r /sys/kernel/debug/kprobes/list ]; then
  echo "KC-E2E-KPROBES $(grep -c ' k ' /sys/kernel/debug/kprobes/list) $(grep ' k ' /sys/kernel/debug/kprobes/list | grep -c OPTIMIZED)"
fi
kill -USR2 "$LOADER"
wait_for '^KC-COUNTERS now' 30 || fail "no counters"
echo KC-E2E-LEGIT-DONE

if [ -f /payload/bug.sh ]; then
  sh /payload/bug.sh || fail "bug.sh"
  sleep 1
fi
echo KC-E2E-BUG-DONE
if [ -f /payload/attack.sh ]; then
  . /payload/attack.sh || fail "attack.sh"
  echo KC-E2E-ATTACK-DONE
fi
kill -INT "$LOADER"
wait "$LOADER"
echo "KC-E2E-LOADER-EXIT $?"
echo "---- loader ----"
cat /tmp/loader.log
echo "---- dmesg ----"
dmesg
echo "---- end ----"
if dmesg | grep -E 'Oops|BUG:|WARNING:|general protection|Call Trace' >/dev/null; then
  fail "dmesg reports a kernel problem"
fi
echo KC-E2E-OK
