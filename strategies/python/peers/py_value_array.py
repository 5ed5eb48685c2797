"""py-value-array: counters in multiprocessing.Array('q', n), each add under the array's lock.

Only counters: a dataset with string values is refused (NotImplementedError: the cell is
skipped with the reason). The array lives in multiprocessing's shared heap (a file in
/dev/shm, unlinked at once, mapped before fork).
"""
import multiprocessing


def capabilities():
    return {"holds_data": True, "put": False, "add": True, "atomic_add": True}


class State:
    def __init__(self, counters):
        self.index = {key: i for i, key in enumerate(counters)}
        self.array = multiprocessing.get_context("fork").Array("q", max(len(counters), 1))


class Client:
    def __init__(self, state):
        self.index = state.index
        self.array = state.array
        self.lock = state.array.get_lock()

    def get(self, key):
        return None  # holds no string values; prepare() refused any dataset that has some

    def add(self, key, delta):
        i = self.index.get(key)
        if i is None:
            raise KeyError("py-value-array has no counter %r" % key)
        with self.lock:
            value = self.array[i] + delta
            self.array[i] = value
        return value


def prepare(entries, counters, prefix):
    if entries:
        raise NotImplementedError("holds only counters (multiprocessing.Array('q')), and this workload "
                                  "has string values")
    return State(counters)


def connect(state, worker):
    return Client(state)


def teardown(state):
    state.array = None
