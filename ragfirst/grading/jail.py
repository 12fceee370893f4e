"""Who a submission runs as on the host, and the file tree it sees.

Why two identities: ``unshare --map-root-user`` maps the sandbox's root to the
user who runs the grader. For an ordinary user that is harmless (the sandbox is
that user, without capabilities). For root it is host root: plain file
permissions then let the submission read ``/etc/shadow`` or open
``/proc/sys/kernel/core_pattern`` for writing. So when the grader runs as root
it creates the namespaces without a user namespace (root may) and, once the
tree is built, ``setpriv`` switches the kernel to a dedicated unprivileged host
uid (one per running kernel, so that process limits are per submission). Only
util-linux is needed: no newuidmap, no /etc/subuid.

The tree: a read-only tmpfs root with, read-only and recursively so (nested
mounts too), the OS (``/usr``, ``/bin``, ``/lib*``), the few files of ``/etc``
Python needs, the Python runtime, the venv, ``ragfirst/`` and ``data/`` without
its answer keys. One size-limited tmpfs holds everything writable (``/tmp``,
``/home/student``, ``/dev/shm``); ``/comm`` (the kernel's sockets) is a tiny
tmpfs the grader reaches through ``/proc/<pid>/root``. ``/proc/sys`` is
read-only and ``/sys`` is not mounted.
"""

from __future__ import annotations

import fcntl
import functools
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ragfirst.runtime.config import ANSWER_KEYS_DIR, DATA_DIR, REPO_ROOT

PACKAGE_DIR = REPO_ROOT / "ragfirst"
INSIDE_COMM = "/comm"
INSIDE_HOME = "/home/student"
UID_ENV = "RAGFIRST_SANDBOX_UID"
DEFAULT_FIRST_UID = 1_900_000_000  # far above any account; override with RAGFIRST_SANDBOX_UID
MAX_KERNELS = 64
# What of /etc a Python kernel needs: the dynamic linker's cache, time zone, MIME types, alternatives' links.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "mime.types", "alternatives",
               "os-release")
WRITABLE = ("/tmp", INSIDE_HOME, "/dev/shm", INSIDE_COMM, "/proc")


class SandboxUnavailable(RuntimeError):
    """This machine cannot create the sandbox safely; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class Identity:
    """The ids a kernel runs with: ``host_uid`` is what the host's permission checks see."""

    user_namespace: bool  # True: an ordinary user's own user namespace; False: root dropping to host_uid
    host_uid: int
    uid: int  # as seen inside the sandbox
    gid: int


@dataclass(frozen=True)
class ProcessLimits:
    """The per-process limits set (with prlimit) just before the kernel starts."""

    memory_bytes: int
    file_bytes: int
    open_files: int
    processes: int
    scratch_bytes: int


def _first_uid() -> int:
    text = os.environ.get(UID_ENV, "").strip()
    if not text:
        return DEFAULT_FIRST_UID
    if not text.isdigit() or int(text) <= 0 or int(text) + MAX_KERNELS >= 2**32 - 1:
        raise SandboxUnavailable(f"{UID_ENV}={text!r}: give an unused uid above 0 (the first of {MAX_KERNELS})")
    return int(text)


def _root_problem() -> str | None:
    try:
        first = _first_uid()
    except SandboxUnavailable as error:
        return str(error)
    for uid in (first, first + MAX_KERNELS - 1):
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            continue
        return (f"uid {uid} belongs to the account '{name}'; set {UID_ENV} to the first of {MAX_KERNELS} unused uids")
    probe = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork", "setpriv", f"--reuid={first}",
                            f"--regid={first}", "--clear-groups", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return ("running as root, the sandbox creates namespaces and drops to an unprivileged uid with setpriv, "
                f"and that failed ({probe.stderr.strip()}); in a container allow unshare (e.g. --cap-add SYS_ADMIN), "
                "or run the grader as an ordinary user with user namespaces enabled")
    return None


@functools.cache  # the machine does not change while we run
def sandbox_problem() -> str | None:
    """Why the sandbox cannot run safely here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the grading sandbox needs Linux (user, mount and network namespaces)"
    for tool in ("unshare", "setpriv", "prlimit", "mount", "pivot_root", "umount"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            return f"'{tool}' is missing: install util-linux (Debian/Ubuntu: apt-get install util-linux mount)"
    if os.geteuid() == 0:
        return _root_problem()
    probe = subprocess.run(["unshare", "-Urmn", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return ("unshare -Urmn failed: unprivileged user namespaces are disabled "
                f"({probe.stderr.strip()}); enable them with 'sysctl kernel.unprivileged_userns_clone=1' "
                "or 'sysctl user.max_user_namespaces=15000'")
    return None


_SLOTS_LOCK = threading.Lock()
LOCK_DIR = Path("/run/ragfirst-sandbox")  # root only: one lock file per uid lent to a kernel


def _lock_uid(uid: int) -> int | None:
    """An open, exclusively locked file for ``uid`` (other grader processes skip it), or None if taken."""
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    if LOCK_DIR.stat().st_uid != 0:
        raise SandboxUnavailable(f"{LOCK_DIR} is not owned by root; remove it and grade again")
    fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextmanager
def identity() -> Iterator[Identity]:
    """The identity for one kernel; as root, a uid no other running kernel has, in this process or another."""
    if os.geteuid() != 0:
        yield Identity(True, os.geteuid(), 0, 0)
        return
    first = _first_uid()
    with _SLOTS_LOCK:  # flock is per open file: two threads could otherwise both lock the same uid
        for uid in range(first, first + MAX_KERNELS):
            fd = _lock_uid(uid)
            if fd is not None:
                break
        else:
            raise SandboxUnavailable(f"more than {MAX_KERNELS} sandboxed kernels at once (uids {first}…)")
    try:
        yield Identity(False, uid, uid, uid)
    finally:
        os.close(fd)  # releases the lock


def unshare_command(who: Identity) -> list[str]:
    """The namespaces: a user namespace only for an ordinary user (for root it would map to host root)."""
    user = ["--user", "--map-root-user"] if who.user_namespace else []
    return ["unshare", *user, "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
            "--propagation", "private"]


def _data_entries() -> list[str]:
    """``data/`` entry by entry, without the answer keys that hidden tests compare with."""
    if not DATA_DIR.is_dir():
        return []
    return [str(path) for path in sorted(DATA_DIR.iterdir()) if path.resolve() != ANSWER_KEYS_DIR.resolve()]


def read_only_paths() -> list[str]:
    """Host paths the kernel may read: the OS, /etc's few files, Python, the venv, ragfirst/ and data/."""
    wanted = ["/usr", sys.base_prefix, sys.prefix, str(PACKAGE_DIR), *_data_entries()]
    wanted += [f"/etc/{name}" for name in ETC_ENTRIES]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_dir() and not path.is_symlink():
            wanted.append(str(path))
    result: list[str] = []
    for path in wanted:
        if not os.path.lexists(path):
            continue
        resolved = str(Path(path).resolve())
        covered = any(resolved == done or resolved.startswith(done.rstrip("/") + "/") for done in result)
        if os.path.exists(resolved) and not covered:
            result.append(resolved)
    return result


def _etc_files(who: Identity) -> dict[str, str]:
    """Generated /etc files: the sandbox's own accounts and host name, nothing of the host's."""
    users = f"root:x:0:0:root:/root:/bin/sh\nstudent:x:{who.uid}:{who.gid}:student:{INSIDE_HOME}:/bin/sh\n" \
        if who.uid else f"student:x:0:0:student:{INSIDE_HOME}:/bin/sh\n"
    groups = f"root:x:0:\nstudent:x:{who.gid}:\n" if who.gid else "student:x:0:\n"
    return {"passwd": users, "group": groups, "hosts": "127.0.0.1 localhost sandbox\n", "hostname": "sandbox\n"}


def init_script(workdir: Path, who: Identity, limits: ProcessLimits, matplotlib_cache: Path) -> str:
    """Shell run as root of the new namespaces: build the tree, pivot, set limits, drop privileges, exec."""
    q = shlex.quote
    owner = f"{who.uid}:{who.gid}"
    lines = ["set -eu", 'KERNEL_PATH="$PATH"', "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
             f"W={q(str(workdir))}", 'R="$W"/root', 'S="$W"/scratch', 'mkdir -p "$R" "$S"',
             'mount -t tmpfs -o size=16m,mode=755 tmpfs "$R"',
             # one size-limited tmpfs for everything writable: the limit is for the submission, not per folder
             f'mount -t tmpfs -o size={limits.scratch_bytes},nr_inodes=65536,mode=755 tmpfs "$S"',
             'mkdir -p "$S"/tmp "$S"/home "$S"/shm "$S"/tmp/matplotlib && chmod 1777 "$S"/tmp "$S"/shm',
             f'cp {q(str(matplotlib_cache))}/fontlist-*.json "$S"/tmp/matplotlib/ 2>/dev/null || true',
             f'chown -R {owner} "$S"/tmp/matplotlib "$S"/home',
             # /tmp first: a repo or venv that lives under /tmp is bind-mounted on top of it below
             'mkdir -p "$R"/tmp && mount --bind "$S"/tmp "$R"/tmp']
    for path in read_only_paths():
        if os.path.isdir(path):
            lines.append(f'mkdir -p "$R"{q(path)} && mount --rbind {q(path)} "$R"{q(path)}')
        else:
            lines.append(f'mkdir -p "$R"{q(os.path.dirname(path))} && touch "$R"{q(path)} '
                         f'&& mount --bind {q(path)} "$R"{q(path)}')
    for name, text in _etc_files(who).items():
        lines.append(f'mkdir -p "$R"/etc && printf %s {q(text)} > "$R"/etc/{name}')
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            lines.append(f'ln -s {q(os.readlink(path))} "$R"/{name}')
    lines += [
        # every mount below the new root read-only, nested ones too (a bind remount is not recursive)
        'awk -v r="$R/" \'index($5, r) == 1 { print $5 }\' /proc/self/mountinfo | while read -r m; do',
        f'  case "${{m#"$R"}}" in {"|".join(q(p) for p in WRITABLE)}) continue ;; esac',
        '  mount -o remount,bind,ro "$m" || exit 1',
        "done",
        f'mkdir -p "$R"/proc "$R"/dev/shm "$R"{INSIDE_HOME} "$R"{INSIDE_COMM} "$R"/oldroot',
        'mount -t proc proc "$R"/proc',
        'mount --bind "$R"/proc/sys "$R"/proc/sys && mount -o remount,bind,ro "$R"/proc/sys',
        'for f in null zero random urandom; do touch "$R"/dev/$f; mount --bind /dev/$f "$R"/dev/$f; done',
        'mount --bind "$S"/shm "$R"/dev/shm',
        f'mount --bind "$S"/home "$R"{INSIDE_HOME}',
        f'mount -t tmpfs -o size=1m,nr_inodes=64,mode=700,uid={who.uid},gid={who.gid} tmpfs "$R"{INSIDE_COMM}',
        f'cp "$W"/kernel.json "$R"{INSIDE_COMM}/kernel.json && chown {owner} "$R"{INSIDE_COMM}/kernel.json',
        'cd "$R" && pivot_root . oldroot && umount -l /oldroot && rmdir /oldroot',
        "mount -o remount,bind,ro /",
        f"cd {INSIDE_HOME}",
        'PATH="$KERNEL_PATH"',
        f"exec prlimit --as={limits.memory_bytes} --fsize={limits.file_bytes} --nofile={limits.open_files} "
        f"--core=0 --nproc={limits.processes} -- " + _drop(who) + ' -- "$@"',
    ]
    return "\n".join(lines)


def _drop(who: Identity) -> str:
    """setpriv: no capabilities, no_new_privs; as root also the switch to the unprivileged uid."""
    common = "setpriv --no-new-privs --bounding-set=-all --inh-caps=-all"
    if who.user_namespace:
        return (common + " --securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,"
                "+keep_caps_locked")
    return common + f" --reuid={who.uid} --regid={who.gid} --clear-groups"
