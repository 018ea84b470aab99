"""Pieces checked against a loaded kernel object (the pure ones are in tests/unit/)."""

import os


def test_pids_leave_out_bpfinspect_itself(loaded):
    from bpfinspect.kernel import objects, procfs

    with objects.open_by_id("prog", loaded.progs["tail"]["id"]):
        owners = procfs.owners("prog")
    assert all(pid != os.getpid() for refs in owners.values() for pid, _ in refs)
