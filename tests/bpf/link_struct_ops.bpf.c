// SPDX-License-Identifier: GPL-2.0
/* A BPF tcp_congestion_ops for `link show`'s struct_ops link (tests/linkhooks.py creates the
 * link: Debian's libbpf 1.1 does not know ".struct_ops.link", so the map is given BPF_F_LINK
 * before it is loaded). Only the members the kernel requires; libbpf matches them by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct sock;

struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	char name[16];
};

SEC("struct_ops/lk_ssthresh")
__u32 lk_ssthresh(unsigned long long *ctx)
{
	return 2;
}

SEC("struct_ops/lk_cong_avoid")
void lk_cong_avoid(unsigned long long *ctx)
{
}

SEC("struct_ops/lk_undo_cwnd")
__u32 lk_undo_cwnd(unsigned long long *ctx)
{
	return 2;
}

SEC(".struct_ops")
struct tcp_congestion_ops lk_cc = {
	.ssthresh = (void *)lk_ssthresh,
	.cong_avoid = (void *)lk_cong_avoid,
	.undo_cwnd = (void *)lk_undo_cwnd,
	.name = "bpfi_lk_cc",
};
