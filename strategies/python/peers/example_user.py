"""An example of your own peer (run it: sharebench --strategy python:PATH/example_user.py).

The py-manager dict made correct: a Manager().Lock() held around the read-modify-write of
add(), so no update is lost (atomic_add: True). Copy this file and change the four
functions to measure your own sharing code; the protocol is in README.md beside it.
"""
import multiprocessing
from multiprocessing.managers import SyncManager


def capabilities():
    return {"holds_data": True, "put": True, "add": True, "atomic_add": True}


def prepare(entries, counters, prefix):
    # The server is a forked process; the coordinator keeps no thread.
    manager = SyncManager(ctx=multiprocessing.get_context("fork"))
    manager.start()
    d = manager.dict(dict(entries))
    d.update({c: 0 for c in counters})
    lock = manager.Lock()
    return {"manager": manager, "dict": d, "lock": lock}


class Client:
    def __init__(self, state):
        # Proxies made before fork: sharebench runs multiprocessing's after-fork hooks in every
        # worker, so they open the worker's own connection, as in a multiprocessing.Process.
        self.d = state["dict"]
        self.lock = state["lock"]

    def get(self, key):
        return self.d.get(key)

    def put(self, key, value):
        self.d[key] = value

    def add(self, key, delta):
        with self.lock:
            value = self.d.get(key, 0) + delta
            self.d[key] = value
        return value


def connect(state, worker):
    return Client(state)


def teardown(state):
    manager = state.pop("manager")
    state.clear()  # drop the proxies before their server goes
    manager.shutdown()
