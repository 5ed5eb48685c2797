"""py-mmap-dict: an immutable hash table in an anonymous shared mmap, built before fork.

Layout: a u32 slot count (a power of two), then that many u32 offsets (0 = empty slot), then
records: u32 key length, key, u32 value length, value. Linear probing from the key's
hash(); bytes hashes are randomised per interpreter, but every worker is forked from the
one that built the table, so they agree. Reads only: every worker maps the same pages.
"""
import mmap
import struct

_U32 = struct.Struct("<I")


def capabilities():
    return {"holds_data": True, "put": False, "add": False, "atomic_add": False}


def build(entries):
    """The table for entries (a list of (key, value)), in a fresh anonymous mmap."""
    slots = 8
    while slots < 2 * len(entries):
        slots *= 2
    table_bytes = 4 + 4 * slots
    size = table_bytes + sum(8 + len(k) + len(v) for k, v in entries)
    if size >= 1 << 32:
        raise NotImplementedError("py-mmap-dict: %d bytes do not fit 4-byte offsets" % size)
    mm = mmap.mmap(-1, max(size, 1))  # MAP_SHARED | MAP_ANONYMOUS: inherited by fork
    _U32.pack_into(mm, 0, slots)
    mask = slots - 1
    offset = table_bytes
    for key, value in entries:
        i = hash(key) & mask
        while _U32.unpack_from(mm, 4 + 4 * i)[0] != 0:
            i = (i + 1) & mask
        _U32.pack_into(mm, 4 + 4 * i, offset)
        _U32.pack_into(mm, offset, len(key))
        mm[offset + 4:offset + 4 + len(key)] = key
        offset += 4 + len(key)
        _U32.pack_into(mm, offset, len(value))
        mm[offset + 4:offset + 4 + len(value)] = value
        offset += 4 + len(value)
    return mm


class Reader:
    # No execute(): sharebench calls get() once per op, as a Python program does. A batch
    # would build a tuple per op and a list per batch, costing more than the calls it saves.

    def __init__(self, mm):
        self.mm = mm
        self.mask = _U32.unpack_from(mm, 0)[0] - 1

    def get(self, key):
        mm, mask, unpack = self.mm, self.mask, _U32.unpack_from
        i = hash(key) & mask
        n = len(key)
        while True:
            offset = unpack(mm, 4 + 4 * i)[0]
            if offset == 0:
                return None
            if unpack(mm, offset)[0] == n and mm[offset + 4:offset + 4 + n] == key:
                start = offset + 4 + n
                return mm[start + 4:start + 4 + unpack(mm, start)[0]]
            i = (i + 1) & mask


def prepare(entries, counters, prefix):
    return build(entries)


def connect(state, worker):
    return Reader(state)


def teardown(state):
    state.close()
