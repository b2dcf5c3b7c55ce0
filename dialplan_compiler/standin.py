"""Compatibility shim: `python -m dialplan_compiler.standin` as documented
before the stand-in moved to `dialplan_compiler.calls.standin`."""

from .calls.standin import Standin, main  # noqa: F401

if __name__ == "__main__":
    main()
