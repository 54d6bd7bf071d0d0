"""The processes of a load run: a fresh install, `rapport serve`, `rapport worker`s, their memory, and stopping."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from rapport.pipeline.backing import free_port


def _rapport() -> list[str]:
    return [sys.executable, "-m", "rapport.cli"]


class Install:
    """A fresh RAPPORT_HOME (SQLite unless DATABASE_URL is set), migrated and seeded; its servers and workers."""

    def __init__(self, *, password: str, queue_url: str | None = None, database_url: str | None = None) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="rapport-load-"))
        self.env = {k: v for k, v in os.environ.items() if k not in ("RAPPORT_TESTING", "PYTEST_CURRENT_TEST")}
        self.password = password
        self.env.update(RAPPORT_HOME=str(self.home), RAPPORT_LOG_LEVEL="ERROR")
        self.env.pop("RAPPORT_QUEUE_URL", None)
        if queue_url:
            self.env["RAPPORT_QUEUE_URL"] = queue_url
        if database_url:
            self.env["DATABASE_URL"] = database_url
            self.env.setdefault("RAPPORT_SECRET_KEY", secrets.token_urlsafe(48))  # a server database needs its own
        self.env.setdefault("RAPPORT_LOGIN_FAILURE_LIMIT", "1000")  # many agents sign in from one address
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.port = 0
        self.logs = self.home / "logs"
        self.logs.mkdir()
        # The models an install builds once (`rapport models build`): the run measures serving, not a first training.
        built = Path(os.environ.get("RAPPORT_HOME", ".rapport")) / "models"
        if built.is_dir():
            shutil.copytree(built, self.home / "models")

    def run(self, *args: str, timeout: float = 600, stdin: str | None = None) -> str:
        """Run a command in the install; its stdout."""
        done = subprocess.run(  # noqa: S603 (our own interpreter and modules)
            args,
            input=stdin,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[-3:])} failed: {done.stderr[-2000:]}")
        return done.stdout

    def inside(self, *args: str) -> dict:
        out = self.run(sys.executable, "-m", "rapport.demo.load.inside", *args, stdin=self.password + "\n")
        return json.loads(out.strip().splitlines()[-1])

    def migrate(self) -> None:
        self.run(*_rapport(), "migrate", "--verbosity", "0")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, *, threads: int = 8, jobs: bool = True, port: int | None = None) -> None:
        """Start `rapport serve` and wait until /healthz answers."""
        self.port = port or self.port or free_port()
        args = [*_rapport(), "serve", "--port", str(self.port), "--threads", str(threads)]
        self.server = self._spawn(args if jobs else [*args, "--no-jobs"], "serve")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"rapport serve exited: {(self.logs / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("rapport serve did not answer /healthz within 60 s")

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn([*_rapport(), "worker"], f"worker{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def stop(self) -> None:
        """SIGTERM every process (workers finish their batch), then SIGKILL what is still there after 20 s."""
        procs = [p for p in [self.server, *self.workers] if p is not None and p.poll() is None]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


def remove(install: Install) -> None:
    """Delete the install's home (database, logs) once its run is over."""
    shutil.rmtree(install.home, ignore_errors=True)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
