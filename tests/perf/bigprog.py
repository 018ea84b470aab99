"""A large straight-line-ish socket filter for the benchmarks, as raw instructions.

Each chunk stores, loads, does arithmetic, branches on packet length (an unknown value, so the
verifier keeps both paths; the registers a branch writes die at the join, so states prune) and
calls a helper now and then, with offsets and constants varying so that lines do not repeat.
"""

HELPERS = (5, 7, 8)  # ktime_get_ns, get_prandom_u32, get_smp_processor_id


def slots(n_insns):
    out = [
        (0xBF, 6, 1, 0, 0),        # r6 = r1 (skb)
        (0x61, 7, 6, 0, 0),        # r7 = *(u32 *)(r6 +0)  (skb->len)
        (0xB7, 8, 0, 0, 0),        # r8 = 0
    ]
    k = 0
    while len(out) < n_insns - 12:
        off = -8 * (k % 64 + 1)
        out += [
            (0xB7, 1, 0, 0, k & 0xFFFF),          # r1 = k
            (0x7B, 10, 1, off, 0),                # *(u64 *)(r10 off) = r1
            (0x79, 2, 10, off, 0),                # r2 = *(u64 *)(r10 off)
            (0x0F, 8, 2, 0, 0),                   # r8 += r2
            (0x61, 4, 6, 0, 0),                   # r4 = skb->len (dies at the join: states prune)
        ]
        if k % 2 == 0:  # the verifier keeps at most 8192 pending branches
            out.append((0x65, 4, 0, 2, k % 1500))  # if r4 s> k goto +2
        out += [
            (0xBF, 3, 4, 0, 0),                   # r3 = r4
            (0x07, 3, 0, 0, k % 97),              # r3 += k
            (0x57, 8, 0, 0, 0x7FFFFFFF),          # r8 &= 0x7fffffff
        ]
        if k % 16 == 15:
            out.append((0x85, 0, 0, 0, HELPERS[k // 16 % 3]))  # call helper
        k += 1
    out += [(0xBF, 0, 8, 0, 0), (0x95, 0, 0, 0, 0)]  # r0 = r8; exit
    return out


def branchy(n_insns):
    """A program of n_insns instructions with a conditional jump in every third: many small
    basic blocks, the other end of `visual`'s cost from slots()' long straight blocks."""
    out = [(0xBF, 6, 1, 0, 0), (0xB7, 8, 0, 0, 0)]  # r6 = r1 (skb); r8 = 0
    k = 0
    while len(out) < n_insns - 2:
        out += [
            (0x61, 4, 6, 0, 0),                   # r4 = skb->len (dies at the join)
            (0x65, 4, 0, 1, k % 1500),            # if r4 s> k goto +1
            (0x07, 8, 0, 0, k % 97 + 1),          # r8 += k
        ]
        k += 1
    out += [(0xBF, 0, 8, 0, 0), (0x95, 0, 0, 0, 0)]  # r0 = r8; exit
    return out
