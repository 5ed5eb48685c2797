"""py-redis: python3-redis (redis-py) against a private redis-server on a Unix socket in a
0700 directory, started as the C++ redis strategy starts it (no persistence).

GET, SET, INCRBY: one round trip each; INCRBY is atomic in the server. Each worker opens its
own connection in connect(). Counters are Redis integers.
"""
import os
import shutil
import subprocess
import tempfile
import time

from _peer_util import die_with_parent, how_popen_ended


def capabilities():
    return {"holds_data": True, "put": True, "add": True, "atomic_add": True}


class State:
    def __init__(self, entries, counters, prefix):
        import redis
        binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
        if binary is None:
            raise NotImplementedError("redis-server is not installed (Debian package redis-server)")
        self.directory = tempfile.mkdtemp(prefix=prefix + "-redis-")
        self.socket = os.path.join(self.directory, "redis.sock")
        self.server = None
        try:
            # Popen forks in a helper; the coordinator keeps no thread (no communicate()).
            self.server = subprocess.Popen(
                [binary, "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700", "--save", "",
                 "--appendonly", "no", "--dir", self.directory, "--logfile", os.path.join(self.directory, "redis.log"),
                 "--daemonize", "no"], preexec_fn=die_with_parent, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while True:
                try:
                    connection = redis.Redis(unix_socket_path=self.socket)
                    connection.ping()
                    break
                except redis.exceptions.ConnectionError:
                    if self.server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not start (see %s/redis.log)" % self.directory)
                    time.sleep(0.01)
            pipe = connection.pipeline(transaction=False)
            for i, (key, value) in enumerate(entries):
                pipe.set(key, value)
                if i % 1000 == 999:
                    pipe.execute()
            for key in counters:
                pipe.set(key, 0)
            pipe.execute()
            connection.close()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
        if self.server is not None:
            self.server.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


class Client:
    def __init__(self, state):
        import redis
        self.r = redis.Redis(unix_socket_path=state.socket)

    def get(self, key):
        return self.r.get(key)

    def put(self, key, value):
        self.r.set(key, value)

    def add(self, key, delta):
        return self.r.incrby(key, delta)

    def close(self):
        self.r.close()


def prepare(entries, counters, prefix):
    return State(entries, counters, prefix)


def connect(state, worker):
    return Client(state)


def helpers(state):
    return [state.server.pid]


def helper_failure(state):
    return how_popen_ended(state.server, "redis-server")


def teardown(state):
    state.stop()
