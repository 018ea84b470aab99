// SPDX-License-Identifier: GPL-2.0
/* bpfinspect's stress suite: names, values and source lines with control bytes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

volatile const char bpf_metadata_evil[] = "esc\x1b[31mred\a\"quote\\back\xff\xc2\x85" "c1\ttab\nnl";
volatile const int bpf_metadata_num = 7;

char data_str[32] = "d\x1b]0;title\x07\"\\\xfe\xc2\x9b";

struct value {
	char s[24];
	int n;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct value);
} hostile_vals SEC(".maps");

SEC("socket")
int hostile_prog(void *ctx)
{
	__u32 key = 0; /* ESC here: [2J and BEL  and C1 Â… and bad ÿ */
	struct value *v = bpf_map_lookup_elem(&hostile_vals, &key); /* "quote" \back  */
	if (v)
		return v->n + data_str[0] + bpf_metadata_evil[0];
	return 0;
}
