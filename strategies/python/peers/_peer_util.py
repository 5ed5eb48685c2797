"""What the built-in peers share: their helper processes die with the coordinator, and say
how they ended in the harness's words."""
import ctypes
import signal
import subprocess

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """In a helper process: SIGKILL when the coordinator dies, so nothing outlives a run."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# A killed helper's sockets close before it can be reaped, so its clients notice first: the
# harness asks only after a failure, and this long is given for the exit to show.
EXIT_SHOWS_SECONDS = 0.2


def how_ended(process, what):
    """"" while the multiprocessing.Process runs, else e.g. "owner exited: killed by signal 9
    (SIGKILL)"."""
    process.join(EXIT_SHOWS_SECONDS)
    return exit_text(process.exitcode, what)


def how_popen_ended(popen, what):
    """how_ended() for a subprocess.Popen."""
    try:
        return exit_text(popen.wait(EXIT_SHOWS_SECONDS), what)
    except subprocess.TimeoutExpired:
        return ""


def exit_text(code, what):
    if code is None:
        return ""
    if code < 0:
        return "%s exited: killed by signal %d (%s)" % (what, -code, signal.Signals(-code).name)
    return "%s exited: exited with status %d" % (what, code)
