"""Cap what a sandboxed kernel prints, inside the kernel, before it is buffered.

Why in the kernel: ipykernel buffers ``print`` output and sends it every 0.2 s.
A loop printing 100 kB lines fills that buffer faster than the grader can count
messages, so the kernel hit its memory limit (MemoryError) or the time limit
first, depending on the machine. Counting here makes an output flood end the
same way everywhere: :class:`OutputLimitExceeded` in the cell, which the grader
reports as ``output_limit``. Installed before the student's first cell; a
student who removes it only loses this clear outcome (the grader still counts
bytes, and the kernel's memory and time limits still hold).
"""

import sys


class OutputLimitExceeded(Exception):
    """The cell printed more than the grader's output limit."""


def install(limit: int) -> None:
    """Wrap ``write`` of stdout and stderr: one shared count of characters, raise once over ``limit``."""
    written = [0]
    for stream in (sys.stdout, sys.stderr):
        original = stream.write

        def write(text, _original=original):
            written[0] += len(text)
            if written[0] > limit:
                raise OutputLimitExceeded(f"output over {limit} characters")
            return _original(text)

        stream.write = write
