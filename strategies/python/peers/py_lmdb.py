"""py-lmdb: an LMDB environment (python3-lmdb) in a private 0700 directory under /tmp.

Every worker opens the environment itself after fork (an Environment must not cross a
fork). Reads are MVCC snapshots in shared memory-mapped pages; writes are serialised by
LMDB's writer lock, and add() is a read-modify-write inside one write transaction, so it is
atomic. Counters are stored as 8-byte little-endian integers. LMDB refuses an empty key, so
every key is stored behind one marker byte.
"""
import os
import shutil
import tempfile

_MAP_SIZE_MIN = 64 << 20
_MARK = b"k"


def capabilities():
    return {"holds_data": True, "put": True, "add": True, "atomic_add": True}


class State:
    def __init__(self, entries, counters, prefix):
        import lmdb
        self.directory = tempfile.mkdtemp(prefix=prefix + "-lmdb-")  # mode 0700
        payload = sum(len(k) + len(v) for k, v in entries)
        self.map_size = max(_MAP_SIZE_MIN, 8 * payload)
        try:
            env = lmdb.open(self.directory, map_size=self.map_size, sync=False, metasync=False)
            with env.begin(write=True) as txn:
                for key, value in entries:
                    txn.put(_MARK + key, value)
                for key in counters:
                    txn.put(_MARK + key, (0).to_bytes(8, "little", signed=True))
            env.close()
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise


class Client:
    def __init__(self, state):
        import lmdb
        self.env = lmdb.open(state.directory, map_size=state.map_size, sync=False, metasync=False)

    def get(self, key):
        with self.env.begin(buffers=False) as txn:
            return txn.get(_MARK + key)

    def put(self, key, value):
        with self.env.begin(write=True) as txn:
            txn.put(_MARK + key, value)

    def add(self, key, delta):
        with self.env.begin(write=True) as txn:
            old = txn.get(_MARK + key)
            value = (int.from_bytes(old, "little", signed=True) if old else 0) + delta
            txn.put(_MARK + key, value.to_bytes(8, "little", signed=True))
        return value

    def close(self):
        self.env.close()


def prepare(entries, counters, prefix):
    return State(entries, counters, prefix)


def connect(state, worker):
    return Client(state)


def teardown(state):
    shutil.rmtree(state.directory, ignore_errors=True)
