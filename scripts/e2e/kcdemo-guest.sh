#!/bin/sh
# The kcdemo smoke workload, run inside the guest as /payload/guest.sh (see
# scripts/e2e/initramfs.sh). Expects /payload/kcdemo.ko. Loads the module,
# runs every normal command for KCDEMO_ROUNDS rounds (5 by default, or the
# first line of /payload/rounds), checks the wrong inputs are refused, runs the
# buggy `note` command (the overflow into the victim object), prints the
# module's statistics and dmesg, unloads the module and fails if dmesg holds
# an oops, a BUG or a WARNING. Markers on the console:
#   KC-SMOKE-STATS <read() of /dev/kcdemo>
#   KC-SMOKE-FAIL <why>     (and exit 1)
#   KC-SMOKE-OK             (and exit 0)
set -u
fail() { echo "KC-SMOKE-FAIL $*"; dmesg; exit 1; }

ROUNDS=${KCDEMO_ROUNDS:-5}
[ -f /payload/rounds ] && ROUNDS=$(head -n1 /payload/rounds)

insmod /payload/kcdemo.ko || fail "insmod kcdemo.ko"
[ -c /dev/kcdemo ] || fail "/dev/kcdemo missing after insmod"

# one session: every command on the same open file (fd 3)
session() {
  exec 3<>/dev/kcdemo || return 1
  for cmd in open "msg hello" "msg round $1" "msg a rather longer message that is cut at forty-seven bytes" \
             "buf 1" "buf 100" "buf 4096" page vm stat close open "msg left for release"; do
    echo "$cmd" >&3 || { echo "command failed: $cmd"; exec 3>&-; return 1; }
  done
  exec 3>&-   # release() frees the second session and its message
}

i=0
while [ "$i" -lt "$ROUNDS" ]; do
  session "$i" || fail "workload round $i"
  i=$((i + 1))
done

# the right bounds are enforced (these writes must fail)
for bad in "buf 0" "buf 4097" "note 129" "bogus" "msg x"; do
  if echo "$bad" > /dev/kcdemo 2>/dev/null; then fail "'$bad' was accepted"; fi
done
# a note within its 64 bytes: no overflow
echo "note 64" > /dev/kcdemo || fail "note 64"

# THE BUG: bytes 64..99 overflow into the neighbouring victim object
ok=0
for try in 1 2 3 4 5; do
  if echo "note 100" > /dev/kcdemo; then ok=1; break; fi
done
[ "$ok" = 1 ] || fail "note 100 never found an adjacent victim"

echo "KC-SMOKE-STATS $(cat /dev/kcdemo)"
rmmod kcdemo || fail "rmmod kcdemo"
echo "---- dmesg ----"
dmesg
echo "---- end of dmesg ----"
if dmesg | grep -E 'Oops|BUG:|WARNING:|general protection|Call Trace' >/dev/null; then
  fail "dmesg reports a kernel problem"
fi
dmesg | grep -q 'kcdemo: note overflowed into victim at ' || fail "no overflow line in dmesg"
echo KC-SMOKE-OK
exit 0
