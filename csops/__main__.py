"""`python -m csops` and the `csops` command. A Ctrl-C while csops is still loading says one
line, like one at any later moment (the CLI's error boundary is not in place yet)."""

import sys


def _quiet_interrupt(info, default=sys.unraisablehook) -> None:
    """A Ctrl-C that lands in a finalizer while modules load (a module lock's callback) is one
    Python would print as "Exception ignored" with a traceback: csops says nothing of it."""
    if info.exc_type is not None and issubclass(info.exc_type, KeyboardInterrupt):
        return
    default(info)


def run() -> None:
    sys.unraisablehook = _quiet_interrupt
    try:
        from csops.reads import start_early

        start_early(sys.argv[1:])       # git status runs while click and the command load
        from csops.cli import main
    except KeyboardInterrupt:
        from csops.errors import ExitStatus
        from csops.i18n import _

        sys.stderr.write(_('csops: interrupted; nothing was committed') + "\n")
        raise SystemExit(ExitStatus.INTERRUPTED) from None
    try:
        main()
    except SystemExit as leaving:
        _leave(leaving, sys._getframe(0).f_back)
        raise


def _leave(leaving: SystemExit, caller) -> None:
    """End the process at once, skipping the interpreter's teardown (freeing every module and
    object: 10-60 ms, as long as a small repository's whole write), after what a normal exit does
    that matters: the exit hooks (multiprocessing's pools, weakref finalizers, coverage) and
    flushing stdout/stderr. Returns instead, for the normal exit, unless `run` was called by the
    `csops` script or `python -m csops` at their top level (`caller`) with no debugger, profiler or
    `python -i` waiting; when another non-daemon thread runs; when the code is not one a process
    can exit with (Python prints or wraps it); or when a flush fails (a closed pipe: Python
    reports it as it always has). Files csops writes are closed and synced before a command
    returns; a cache still open is a temporary file, renamed only once complete."""
    code = leaving.code
    if code is not None and (not isinstance(code, int) or not -2**31 <= code < 2**31):
        return
    if caller is None or caller.f_code.co_name != "<module>" or caller.f_globals.get("__name__") != "__main__":
        return
    if sys.flags.inspect or sys.gettrace() is not None or sys.getprofile() is not None or \
            "bdb" in sys.modules or "pydevd" in sys.modules:     # pdb lets go of its trace on `continue`
        return
    threading = sys.modules.get("threading")
    if threading is not None and any(not thread.daemon and thread is not threading.main_thread()
                                     for thread in threading.enumerate()):
        return
    import atexit
    import os

    try:
        _flush()
        atexit._run_exitfuncs()
        _flush()
    except BaseException:        # a closed pipe, a Ctrl-C: the normal exit says what it always said
        return
    os._exit(code or 0)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


if __name__ == "__main__":
    run()
