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
    import gc

    # few cycles, many objects (modules at start-up, then caches): collect each 100,000, not 700
    gc.set_threshold(100_000, 50, 100)
    sys.unraisablehook = _quiet_interrupt
    try:
        from csops.cli import main
    except KeyboardInterrupt:
        from csops.errors import ExitStatus
        from csops.i18n import _

        sys.stderr.write(_('csops: interrupted; nothing was committed') + "\n")
        raise SystemExit(ExitStatus.INTERRUPTED) from None
    main()


if __name__ == "__main__":
    run()
