// SPDX-License-Identifier: GPL-2.0
/* Programs and maps of the kinds users load, for bpfinspect's tests. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} percpu_h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} percpu_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__type(key, __u64);
	__type(value, __u64);
} lru SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 8);
	__type(value, __u32);
} lifo SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { &inner_a },
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

/* global data: .data, .bss, .rodata (frozen by the loader) */
int hits = 1;
__u64 total;
const volatile int verbose = 0;

static __attribute__((noinline)) int bump(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&slots, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return v ? 1 : 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int trace_getpid_with_a_long_name(void *ctx)
{
	__u32 key = 0;
	__u64 one = 1, *val;
	struct lpm_key lk = { 32, 0x0100007f };

	val = bpf_map_lookup_elem(&counts, &key);
	if (val)
		*val += 1;
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	bpf_map_lookup_elem(&percpu_h, &key);
	bpf_map_lookup_elem(&percpu_a, &key);
	bpf_map_lookup_elem(&lru, &one);
	bpf_map_lookup_elem(&routes, &lk);
	bpf_map_lookup_elem(&outer, &key);
	bpf_map_push_elem(&fifo, &key, 0);
	bpf_map_push_elem(&lifo, &key, 0);
	bpf_ringbuf_output(&events, &key, sizeof(key), 0);
	bpf_perf_event_output(ctx, &perf_out, BPF_F_CURRENT_CPU, &key, sizeof(key));
	bpf_tail_call(ctx, &jump_table, 0);
	hits++;
	total += bump(key);
	if (verbose)
		bpf_printk("getpid %d", hits);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tail(void *ctx)
{
	return bump(1);
}

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
