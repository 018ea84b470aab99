// SPDX-License-Identifier: GPL-2.0
/* A few types worth dumping, for the golden files of `btf dump file` (tests/test_golden.py).
 * Regenerate small.btf as tests/golden/README.md says. */
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))

struct opaque;				/* forward-declared, used by pointer only */

typedef __u32 small_id_t;		/* a typedef */

enum color { RED, GREEN = 4, BLUE };	/* an enum */

enum level { LOW = -2, MID = 0, HIGH = 3 };	/* an enum with negative values */

union word {				/* a union */
	__u32 u;
	__s16 halves[2];
	unsigned char bytes[4];
};

struct flags {				/* bitfields */
	unsigned int a:3;
	unsigned int b:5;
	int c:7;
	_Bool on:1;
};

struct small {
	struct flags f;
	union word w;
	enum color color;
	enum level level;
	small_id_t id;
	__u64 big;				/* a __u64 */
	_Bool ok;				/* a _Bool */
	char name[16];				/* a char array */
	short grid[2][3];			/* a 2-D array */
	const volatile int *cvp;		/* a pointer to const volatile */
	int *const volatile cvq;		/* a const volatile pointer */
	struct opaque *opq;			/* a pointer to a forward declaration */
	int (*cb)(struct small *s, long n);	/* a function pointer member */
};

struct small small_data = { .id = 1 };	/* initialized: .data */
struct small small_bss;			/* zero: .bss */
__u64 counter;				/* .bss */

static __attribute__((noinline)) int helper(struct small *s, enum level l)	/* a static function */
{
	return s->id + l + s->f.b;
}

SEC("socket")
int prog(void *ctx)
{
	counter++;
	small_bss.big = counter;
	return helper(&small_data, small_bss.level) + (small_bss.cb != 0);
}

char LICENSE[] SEC("license") = "GPL";
