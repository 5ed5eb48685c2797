"""py-manager: multiprocessing.Manager().dict(), used as people write it.

prepare() starts the Manager's server process (forked: the coordinator keeps no thread) and
preloads the dict. Workers use the proxy made before fork, which reconnects in each of them
(multiprocessing's after-fork hooks, run by sharebench's fork hook). add() is d[k] = d.get(k, 0) + delta, two round trips
with no lock, so concurrent adds lose updates: the lost-update question, answered. With
`--add-mode atomic` (options["add_mode"], set by sharebench) the same two round trips run under
a Manager().Lock(), as the fix is usually written, and lose nothing.
"""
import multiprocessing
from multiprocessing.managers import SyncManager

from _peer_util import die_with_parent, how_ended


options = {}  # set by sharebench before capabilities(): {"add_mode": "rmw" | "atomic"}


def locked_adds():
    return options.get("add_mode") == "atomic"


def capabilities():
    return {"holds_data": True, "put": True, "add": True, "atomic_add": locked_adds()}


class State:
    def __init__(self, entries, counters):
        self.manager = SyncManager(ctx=multiprocessing.get_context("fork"))
        self.manager.start(die_with_parent)
        self.dict = self.manager.dict()
        self.lock = self.manager.Lock() if locked_adds() else None
        preload = dict(entries)
        preload.update((c, 0) for c in counters)
        self.dict.update(preload)


class Client:
    def __init__(self, state):
        # The proxy made before fork; in this worker it has reconnected (sharebench runs
        # multiprocessing's after-fork hooks in every child, as a Process child gets).
        self.d = state.dict
        self.lock = state.lock
        if self.lock is not None:
            self.add = self.locked_add

    def get(self, key):
        return self.d.get(key)

    def put(self, key, value):
        self.d[key] = value

    def add(self, key, delta):
        value = self.d.get(key, 0) + delta
        self.d[key] = value
        return value

    def locked_add(self, key, delta):
        with self.lock:
            value = self.d.get(key, 0) + delta
            self.d[key] = value
        return value


def prepare(entries, counters, prefix):
    return State(entries, counters)


def connect(state, worker):
    return Client(state)


def helpers(state):
    return [state.manager._process.pid]


def helper_failure(state):
    return how_ended(state.manager._process, "Manager server")


def teardown(state):
    state.dict = None
    state.lock = None
    state.manager.shutdown()
