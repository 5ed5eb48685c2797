"""py-queue: workers send requests on one multiprocessing.Queue to an owner process that
holds a plain dict; replies come back on a Queue per worker.

put is one-way; get and add wait for the reply, and add is atomic because the owner does
one request at a time. The request Queue is bounded (REQUEST_DEPTH), as queue-passing's is:
an unbounded Queue's put only appends to a buffer its feeder thread drains, so a write
workload would count puts the owner had not taken, and a worker's exit would wait for the
backlog of the whole window to drain (seconds, under a sanitizer). A put waits at most
--op-timeout for room: a dead owner drains nothing.

The reply queues are made before fork (a Queue can be handed to a process only by
inheritance), so at most MAX_WORKERS workers plus the checker. The coordinator never puts to
a Queue: the feeder thread a put starts lives only in workers and the owner. close() flushes
a worker's one-way puts before it exits.
"""
import multiprocessing
import os
import queue
import signal

from _peer_util import die_with_parent, how_ended

op_timeout_s = 2.0  # sharebench sets it to --op-timeout before prepare()

MAX_WORKERS = 64
REQUEST_DEPTH = 1024  # requests taken by no owner yet, of all workers; a put waits beyond
_GET, _PUT, _ADD = 0, 1, 2


def capabilities():
    return {"holds_data": True, "put": True, "add": True, "atomic_add": True}


def _owner(data, requests, replies):
    die_with_parent()
    get = data.get
    while True:
        kind, worker, key, arg = requests.get()
        if kind == _GET:
            replies[worker].put(get(key))
        elif kind == _PUT:
            data[key] = arg
        else:
            value = data[key] = get(key, 0) + arg
            replies[worker].put(value)


class State:
    def __init__(self, entries, counters):
        ctx = multiprocessing.get_context("fork")
        data = dict(entries)
        data.update((c, 0) for c in counters)
        self.requests = ctx.Queue(maxsize=REQUEST_DEPTH)
        self.replies = [ctx.Queue() for _ in range(MAX_WORKERS + 1)]
        self.owner = ctx.Process(target=_owner, args=(data, self.requests, self.replies), daemon=True)
        self.owner.start()


class Client:
    def __init__(self, state, worker):
        if worker > MAX_WORKERS:
            raise ValueError("py-queue has reply queues for %d workers" % MAX_WORKERS)
        self.worker = worker
        self.requests = state.requests
        self.reply = state.replies[worker]

    def _send(self, request):
        # A full queue whose owner died is never drained: wait no longer than --op-timeout.
        try:
            self.requests.put(request, timeout=op_timeout_s)
        except queue.Full:
            # close() must not then wait for the feeder thread: its pipe has no reader left.
            self.requests.cancel_join_thread()
            raise TimeoutError("py-queue: the owner took no request within %g s" % op_timeout_s) from None

    def _reply(self):
        # A killed owner never answers: wait no longer than the run's --op-timeout.
        try:
            return self.reply.get(timeout=op_timeout_s)
        except queue.Empty:
            raise TimeoutError("py-queue: no reply from the owner within %g s" % op_timeout_s) from None

    def get(self, key):
        self._send((_GET, self.worker, key, None))
        return self._reply()

    def put(self, key, value):
        self._send((_PUT, self.worker, key, value))

    def add(self, key, delta):
        self._send((_ADD, self.worker, key, delta))
        return self._reply()

    def close(self):
        self.requests.close()
        self.requests.join_thread()


def prepare(entries, counters, prefix):
    return State(entries, counters)


def connect(state, worker):
    return Client(state, worker)


def helpers(state):
    return [state.owner.pid]


def helper_failure(state):
    return how_ended(state.owner, "owner")


def teardown(state):
    if state.owner.is_alive():
        os.kill(state.owner.pid, signal.SIGKILL)
    state.owner.join()
    for q in [state.requests] + state.replies:
        q.close()
