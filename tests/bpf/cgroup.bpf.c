// SPDX-License-Identifier: GPL-2.0
/* cgroup programs for `cgroup show|tree`, and a bpf_printk program for `prog tracelog`
 * and the run statistics of `prog show`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int cg_egress_two(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup/sock_create")
int cg_sock_create(struct bpf_sock *sk)
{
	return 1;
}

SEC("cgroup/connect4")
int cg_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sysctl")
int cg_sysctl(struct bpf_sysctl *ctx)
{
	return 1;
}

SEC("cgroup/dev")
int cg_device_with_long_name(struct bpf_cgroup_dev_ctx *ctx)
{
	return 1;
}

SEC("tc")
int printk_prog(struct __sk_buff *skb)
{
	bpf_printk("bpfinspect tracelog %d", skb->len);
	return 0;
}
