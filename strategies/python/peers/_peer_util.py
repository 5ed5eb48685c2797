"""What the built-in peers share: their helper processes die with the coordinator, and say
how they ended in the harness's words."""
import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """In a helper process: SIGKILL when the coordinator dies, so nothing outlives a run."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def how_ended(process, what):
    """"" while the multiprocessing.Process runs, else e.g. "owner exited: killed by signal 9
    (SIGKILL)"."""
    process.join(0.2)
    code = process.exitcode
    if code is None:
        return ""
    if code < 0:
        return "%s exited: killed by signal %d (%s)" % (what, -code, signal.Signals(-code).name)
    return "%s exited: exited with status %d" % (what, code)
