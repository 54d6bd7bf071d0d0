"""A run's own Redis and PostgreSQL: started for a bench on loopback, restarted during it if need be, removed after.

`rapport bench load --faults` restarts the broker and the database under load, and `rapport bench pipeline
--workers` measures workers on a queue nobody else reads, so neither can borrow the operator's servers: each starts
a private `redis-server` (append-only file on, as a production deployment runs it) and a private PostgreSQL cluster
(`initdb` in the run's directory) on free ports, and restarts each the way an operator or a managed service does
(a graceful shutdown and a start on the same data). Either is skipped, and said so, when its programs are not
installed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from glob import glob
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _wait_port(port: int, timeout: float = 30.0) -> bool:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


class PrivateRedis:
    """redis-server on a free loopback port with its data (AOF) in `root`."""

    def __init__(self, root: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.root = root / "redis"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        return self.binary is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        args = [self.binary or "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root)]
        args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        log = (self.root / "redis.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        if not _wait_port(self.port):
            raise RuntimeError(f"redis-server did not listen on {self.port}: see {self.root / 'redis.log'}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # SHUTDOWN flushes the append-only file: what Redis acknowledged survives the restart.
        subprocess.run(  # noqa: S603
            [shutil.which("redis-cli") or "redis-cli", "-p", str(self.port), "shutdown"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self, *, down_s: float = 2.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb) on a free loopback port, owned by the postgres user when run as
    root (the server refuses to run as root)."""

    def __init__(self, root: Path) -> None:
        found = sorted(glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[4].split(".")])
        self.bin = Path(found[-1]) if found else None
        if self.bin is None and shutil.which("pg_ctl"):
            self.bin = Path(shutil.which("pg_ctl")).parent
        self.root = root / "pg"
        self.port = free_port()

    @property
    def available(self) -> bool:
        return self.bin is not None and (self.bin / "initdb").exists()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/rapport"

    def _as_owner(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603

    def start(self) -> None:
        data = self.root / "data"
        if not data.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                owner = pwd.getpwnam("postgres")
                os.chown(self.root, owner.pw_uid, owner.pw_gid)
                os.chmod(self.root.parent, 0o711)  # noqa: S103 - the postgres user must pass through to its own dir
            initdb = str(self.bin / "initdb")
            done = self._as_owner(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
            if done.returncode:
                raise RuntimeError(f"initdb failed: {done.stderr[-1000:]}")
        self._pg_ctl("start")
        created = self._as_owner(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "rapport"
        )
        if created.returncode and "already exists" not in created.stderr:
            raise RuntimeError(f"createdb failed: {created.stderr[-1000:]}")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=200"
        done = self._as_owner(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.root / "data"),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            options,
            *extra,
            action,
        )
        if done.returncode:
            raise RuntimeError(f"pg_ctl {action} failed: {done.stderr[-1000:]} {done.stdout[-1000:]}")

    def restart(self) -> None:
        # A fast shutdown, as a managed service's maintenance does: open connections are cut, sessions roll back.
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")
