"""py-null: holds nothing, so a run measures the C++ -> Python bridge alone (one call per op)."""


def capabilities():
    return {"holds_data": False, "put": True, "add": True, "atomic_add": False}


def prepare(entries, counters, prefix):
    return True


class Client:
    def get(self, key):
        return None

    def put(self, key, value):
        pass

    def add(self, key, delta):
        return delta


def connect(state, worker):
    return Client()


def teardown(state):
    pass
