"""How much one submission's kernel may use: time, memory, processes, files, output.

Defaults fit the course's assignments; an assignment whose honest work needs more says so in
its master (:mod:`ragfirst.grading.master`), and :meth:`Limits.at_least` raises the defaults to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's kernel."""

    cell_timeout: float = 30.0  # seconds per cell (and per call from a test)
    submission_timeout: float = 240.0  # seconds for everything of one submission, tests included
    startup_timeout: float = 60.0  # seconds for the kernel to answer its first request
    instructor_timeout: float = 120.0  # seconds for a read-only (instructor) cell: imports are slow on a busy machine
    memory_bytes: int = 2 * 1024**3  # RLIMIT_AS of each process (virtual), and resident memory of all together
    address_space_bytes: int = 0  # RLIMIT_AS when larger than memory_bytes: libraries that reserve far more than they
    # touch (Kiwi's analyser: 1.5 GB of address space for 0.5 GB resident) need it; the resident cap stays memory_bytes
    processes: int = 16  # RLIMIT_NPROC: processes and threads of the submission (the kernel itself uses ~8)
    file_bytes: int = 16 * 1024**2  # RLIMIT_FSIZE: largest file the kernel may write
    tmpfs_bytes: int = 64 * 1024**2  # scratch: /home/student, /tmp and /dev/shm together
    open_files: int = 512  # RLIMIT_NOFILE
    output_bytes: int = 64 * 1024  # output kept per cell (the rest is counted, not kept)
    flood_bytes: int = 8 * 1024**2  # a cell printing more than this ends the kernel (status output_limit)

    def at_least(self, floors: dict[str, float]) -> "Limits":
        """These limits, each raised to the assignment's floor where the master asks for more.

        An assignment whose honest work needs more than the defaults (building an index: more time per
        cell, the threads of chromadb and the embedding model) says so in its master's metadata
        (``ragfirst.grading.master.LIMITS_KEY``); a lower value given on the command line never starves it.
        """
        raised = {name: type(getattr(self, name))(max(getattr(self, name), value)) for name, value in floors.items()}
        return replace(self, **raised)
