#!/bin/sh
# The object-sampling run inside the guest, as /payload/guest.sh
# (scripts/e2e/initramfs.sh runs it; bench/classify.ts builds the payload):
#   objsample   the sampler (runtime/sample/), static
#   netload     scripts/e2e/netload.c, static
#   rounds      line 1: rounds of the workload
#   caps        optional: the sampler's caps per (cache, call site) and per cache (default 60 600)
# It starts the sampler, runs the net/ipv6 e2e workload (ping6, TCP and UDP
# over [::1], address and route changes) and a general one (processes, pipes,
# files on tmpfs, /proc and /sys reads) so that many slab caches free objects,
# stops the sampler and prints the samples gzip'd and base64'd between
# KC-SAMPLES-BEGIN and KC-SAMPLES-END. Markers: KC-SAMPLE-READY,
# KC-SAMPLE-COUNTS, KC-KALLSYMS-CHECK <name> <address>, KC-CLASSIFY-OK | KC-CLASSIFY-FAIL <why>.
set -u
cd /payload
fail() { echo "KC-CLASSIFY-FAIL $*"; [ -f /tmp/sample.log ] && cat /tmp/sample.log; dmesg | tail -30; exit 1; }
ROUNDS=$(head -n1 /payload/rounds 2>/dev/null || echo 3)

CAPS=$(head -n1 /payload/caps 2>/dev/null || echo "60 600")
./objsample /tmp/samples.bin $CAPS > /tmp/sample.log 2>&1 &
S=$!
n=0
while ! grep -q '^KC-SAMPLE-READY' /tmp/sample.log 2>/dev/null; do
  n=$((n + 1)); [ "$n" -gt 6000 ] && fail "the sampler did not get ready"
  kill -0 "$S" 2>/dev/null || fail "the sampler exited"
  sleep 0.1
done
echo KC-SAMPLE-READY

i=0
while [ "$i" -lt "$ROUNDS" ]; do
  ping6 -c 3 -i 0.2 -W 1 ::1 > /dev/null || fail "ping6"
  ping6 -c 2 -s 1400 -W 1 ::1 > /dev/null || fail "ping6 -s 1400"
  ping -c 2 -W 1 127.0.0.1 > /dev/null || fail "ping"
  ./netload tcp $((7000 + i)) 200000 || fail "tcp"
  ./netload udp $((7200 + i)) 50 || fail "udp"
  ip -6 addr add fd00:kc::$((i + 1))/64 dev lo 2>/dev/null
  ip -6 route add fd00:kd::/64 dev lo 2>/dev/null
  ip -6 route show > /dev/null
  ip -6 route del fd00:kd::/64 dev lo 2>/dev/null
  ip -6 addr del fd00:kc::$((i + 1))/64 dev lo 2>/dev/null
  # processes, pipes, files, directories, /proc and /sys
  j=0
  while [ "$j" -lt 20 ]; do sh -c 'echo $$ | cat > /dev/null'; j=$((j + 1)); done
  mkdir -p /tmp/w/$i && for f in a b c d e f g h; do echo "$f$i" > /tmp/w/$i/$f; ln -s /tmp/w/$i/$f /tmp/w/$i/l$f; done
  cat /tmp/w/$i/* > /dev/null; rm -rf /tmp/w/$i
  ls -lR /proc/self/ /proc/sys/net/ipv6 > /dev/null 2>&1
  find /sys/kernel /sys/class > /dev/null 2>&1
  ps > /dev/null; cat /proc/meminfo /proc/slabinfo > /dev/null 2>&1
  i=$((i + 1))
done
sleep 1 # RCU-deferred frees (files, dentries) reach kmem_cache_free
kill -INT "$S"
wait "$S"
cat /tmp/sample.log
grep -q '^KC-SAMPLE-COUNTS' /tmp/sample.log || fail "no counters from the sampler"
# nokaslr: the guest's addresses are System.map's; the bench checks a few
for s in init_cred init_task tcp_prot; do echo "KC-KALLSYMS-CHECK $s $(awk -v s=$s '$3 == s { print $1; exit }' /proc/kallsyms)"; done
echo KC-SAMPLES-BEGIN
gzip -c /tmp/samples.bin | base64
echo KC-SAMPLES-END
if dmesg | grep -E 'Oops|BUG:|WARNING:|general protection|Call Trace' >/dev/null; then
  fail "dmesg reports a kernel problem"
fi
echo KC-CLASSIFY-OK
