#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

struct flags {
	unsigned int a: 3;
	unsigned int b: 5;
	int c: 7;
	_Bool on: 1;
};

typedef unsigned int __u32;

typedef short __s16;

union word {
	__u32 u;
	__s16 halves[2];
	unsigned char bytes[4];
};

enum color {
	RED = 0,
	GREEN = 4,
	BLUE = 5,
};

enum level {
	LOW = 4294967294,
	MID = 0,
	HIGH = 3,
};

typedef __u32 small_id_t;

typedef unsigned long long __u64;

struct opaque;

struct small {
	struct flags f;
	union word w;
	enum color color;
	enum level level;
	small_id_t id;
	__u64 big;
	_Bool ok;
	char name[16];
	short grid[2][3];
	volatile const int *cvp;
	int * volatile const cvq;
	struct opaque *opq;
	int (*cb)(struct small *, long);
};


/* BPF kfuncs */
#ifndef BPF_NO_KFUNC_PROTOTYPES
#endif

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
