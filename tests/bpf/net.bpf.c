// SPDX-License-Identifier: GPL-2.0
/* Programs for `net show`: XDP, tc (cls_bpf and act_bpf, tcx) and flow_dissector (netfilter: tests/loader.py). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_pass_with_a_long_name(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_cls(struct __sk_buff *skb)
{
	return 0;
}

SEC("action")
int tc_act(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc")
int tcx_in(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc")
int tcx_out_with_a_long_name(struct __sk_buff *skb)
{
	return 0;
}

SEC("flow_dissector")
int flow_diss(struct __sk_buff *skb)
{
	return 1;
}
