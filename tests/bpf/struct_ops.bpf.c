// SPDX-License-Identifier: GPL-2.0
/* A BPF tcp_congestion_ops for `struct_ops show|dump` (tests/test_struct_ops.py registers it
 * with Debian's `bpftool struct_ops register` and unregisters it at the end). Only the
 * members the kernel requires, plus one left empty (a null function pointer in the dump);
 * libbpf matches them by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct sock;

struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	void (*set_state)(struct sock *sk, __u8 new_state);
	__u32 (*undo_cwnd)(struct sock *sk);
	__u32 flags;
	char name[16];
};

SEC("struct_ops/so_ssthresh")
__u32 so_ssthresh(unsigned long long *ctx)
{
	return 2;
}

SEC("struct_ops/so_cong_avoid")
void so_cong_avoid(unsigned long long *ctx)
{
}

SEC("struct_ops/so_undo_cwnd")
__u32 so_undo_cwnd(unsigned long long *ctx)
{
	return 2;
}

SEC(".struct_ops")
struct tcp_congestion_ops bpfi_so_cc = {
	.ssthresh = (void *)so_ssthresh,
	.cong_avoid = (void *)so_cong_avoid,
	.undo_cwnd = (void *)so_undo_cwnd,
	.flags = 0,
	.name = "bpfi_so_cc",
};
