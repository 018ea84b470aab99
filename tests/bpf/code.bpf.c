// Instruction coverage for `prog dump xlated`: atomics, a switch, a bpf_loop callback,
// subprograms calling subprograms, global data, helpers. Compiled with -mcpu=v3.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

__u64 counter = 0;
__u32 flags = 0;

/* `prog show` prints these (bpftool's program metadata) */
volatile const char bpf_metadata_owner[] SEC(".rodata") = "research";
volatile const int bpf_metadata_version SEC(".rodata") = 3;

enum color { RED = 1, GREEN = 2, DARK = -1 };

/* every way the BTF dumper formats a value */
struct rich {
	__u8 small;
	char name[12];
	enum color color;
	unsigned int flag : 1;
	unsigned int level : 3;
	int delta : 5;
	__s16 neg;
	__u64 big;
	unsigned __int128 wide;
	__u32 arr[3];
	void *ptr;
	_Bool ok;
	char c;
	union {
		__u32 u;
		__u8 b[4];
	} un;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct rich);
} rich SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u64);
	__type(value, __u32);
} percpu_lru SEC(".maps");

struct loop_ctx {
	__u64 sum;
	__u32 limit;
};

static int add_one(__u32 index, void *data)
{
	struct loop_ctx *c = data;

	c->sum = index;
	return index >= c->limit;
}

static __attribute__((noinline)) int classify(int x)
{
	switch (x & 7) {
	case 0: return 10;
	case 1: return 21;
	case 2: return 32;
	case 3: return 43;
	case 5: return 65;
	default: return -1;
	}
}

static __attribute__((noinline)) int twice(int x)
{
	return classify(x) * 2;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int code_atomics(void *ctx)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&stats, &key);
	struct loop_ctx lc = { .sum = 0, .limit = 8 };
	__u64 old = 0;

	if (!v || bpf_metadata_version > 99)
		return 0;
	if (bpf_map_lookup_elem(&rich, &key) || bpf_map_lookup_elem(&percpu_lru, &old))
		return 1;
	__sync_fetch_and_add(v, 1);
	old = __sync_fetch_and_add(&counter, 2);
	__sync_fetch_and_or(&flags, 4);
	__sync_fetch_and_and(&flags, ~1u);
	__sync_fetch_and_xor(&flags, 8);
	old += __sync_lock_test_and_set(v, old);
	old += __sync_val_compare_and_swap(&counter, old, 7);
	bpf_loop(16, add_one, &lc, 0);
	return twice((int)(old + lc.sum)) + (int)(bpf_get_prandom_u32() & 3);
}
