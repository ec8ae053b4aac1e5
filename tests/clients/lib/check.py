"""Tiny assertion harness for the Python client tests.

Each check is a named function; a failing check (AssertionError or a driver error)
is reported with its message and counted, the others still run. `summary()` prints
`<name>: N passed, M failed` and returns the exit status.
"""

import sys
import traceback


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def run(self, label, fn, *args):
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            print(f"FAIL {label}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if not isinstance(exc, AssertionError):
                traceback.print_exc(limit=2, file=sys.stderr)
        else:
            self.passed += 1
            print(f"ok   {label}")

    async def run_async(self, label, fn, *args):
        try:
            await fn(*args)
        except Exception as exc:  # noqa: BLE001
            self.failed += 1
            print(f"FAIL {label}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if not isinstance(exc, AssertionError):
                traceback.print_exc(limit=2, file=sys.stderr)
        else:
            self.passed += 1
            print(f"ok   {label}")

    def summary(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
