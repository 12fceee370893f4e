"""Start the sandbox's IPython kernel with the output cap in place: ``python -m ragfirst.grading.kernel_boot LIMIT ARGS``.

Why not ``ipykernel_launcher`` with ``exec_lines``: those lines run inside IPython's
``run_cell``, which swaps ``sys.stdout.write`` for the cell and puts the old one back
afterwards, so a cap installed there vanished. Here it is installed after the kernel
is initialised and before it serves the first request.
"""

import sys
from pathlib import Path


def main() -> None:
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):  # as ipykernel_launcher does
        del sys.path[0]
    from ipykernel.kernelapp import IPKernelApp

    from ragfirst.grading import outcap

    limit, argv = int(sys.argv[1]), sys.argv[2:]
    app = IPKernelApp.instance()
    app.initialize(argv)
    outcap.install(limit)
    app.start()


if __name__ == "__main__":
    main()
