/* SPDX-License-Identifier: GPL-2.0 */
/* checker.bpf.c: the run time alone as one BPF object: the maps (maps.bpf.h),
 * the checker and kc_peek (checker.bpf.h) and the allocation tracking
 * (track.bpf.h) and the indirect-call check (icall.bpf.h), with no site program. A generated <name>.bpf.c includes the
 * same two headers in the same order, then adds its site and allocation probes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"
#include "track.bpf.h"
#include "icall.bpf.h"

char LICENSE[] SEC("license") = "GPL";
