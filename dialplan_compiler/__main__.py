"""`python -m dialplan_compiler`: the `dialplan` command, for when the
console script is not on PATH (and for `python -X importtime`)."""

from .launch import main

if __name__ == "__main__":
    main()
