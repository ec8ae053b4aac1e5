"""Tiny assertion harness for the Python client tests.

Each check is a named function; a failing check (AssertionError or a driver error)
is reported with its message and counted, the others still run. `summary()` prints
`<name>: N passed, M failed` and returns the exit status.
"""

import sys
import traceback


class Checks:
    """Counts checks. `gaps` maps a check label to the error text the engine is known
    to fail it with today (an engine gap): such a failure is reported as `gap` and not
    counted as failed, but only with exactly that error; any other error fails, and a
    gap check that passes is reported as fixed (remove it from the list)."""

    def __init__(self, name, gaps=None):
        self.name = name
        self.gaps = gaps or {}
        self.passed = 0
        self.failed = 0
        self.gapped = 0

    def _fail(self, label, exc):
        msg = f"{type(exc).__name__}: {exc}"
        known = self.gaps.get(label)
        if known is not None and known in msg:
            self.gapped += 1
            print(f"gap  {label}: {msg.splitlines()[0]}")
            return
        self.failed += 1
        print(f"FAIL {label}: {msg}", file=sys.stderr)
        if not isinstance(exc, AssertionError):
            traceback.print_exc(limit=2, file=sys.stderr)

    def _pass(self, label):
        self.passed += 1
        note = " (known gap now fixed: remove it from the gap list)" if label in self.gaps else ""
        print(f"ok   {label}{note}")

    def run(self, label, fn, *args):
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            self._fail(label, exc)
        else:
            self._pass(label)

    async def run_async(self, label, fn, *args):
        try:
            await fn(*args)
        except Exception as exc:  # noqa: BLE001
            self._fail(label, exc)
        else:
            self._pass(label)

    def summary(self):
        gaps = f" ({self.gapped} known engine gaps)" if self.gapped else ""
        print(f"{self.name}: {self.passed} passed, {self.failed} failed{gaps}")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
