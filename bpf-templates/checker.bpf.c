/* SPDX-License-Identifier: GPL-2.0 */
/* checker.bpf.c: the checker and the allocation tracking alone, as one BPF object (a compile test of
 * checker.bpf.h against a target vmlinux.h; site programs include the header). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "checker.bpf.h"
#include "track.bpf.h"

char LICENSE[] SEC("license") = "GPL";
