// SPDX-License-Identifier: GPL-2.0
/* The smallest program: the benchmark loads a thousand of it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("socket")
int bench_filter(struct __sk_buff *skb)
{
	return 0;
}
