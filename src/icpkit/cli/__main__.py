"""``python -m icpkit.cli``: the ``icp`` command, for when the script is not on PATH."""

from ._app import main

if __name__ == "__main__":
    main()
