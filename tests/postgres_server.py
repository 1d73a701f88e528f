"""A real PostgreSQL server for the test run, started from Debian's `postgresql` package.

`initdb` makes a throwaway cluster in a temporary folder, the server listens on a free port on
127.0.0.1 (its socket in the same folder, so it never meets a system server), each test gets a
database of its own, and the folder is removed when the run ends. PostgreSQL refuses to run as root,
so as root the server runs as an unprivileged user (`nobody`, or `studybot-test` made for it). On a
machine without the binaries, root installs the package (`apt-get install -y postgresql`); anyone
else gets one line saying what to install. The cluster is thrown away, so it skips fsync (a commit
survives the server process being killed, not a power cut); synchronous_commit stays on, so an
acknowledged commit is in the log before the bot hears of it, as in production.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 30  # seconds pg_ctl waits for the server to accept connections
INSTALL_TIMEOUT = 600  # seconds apt-get may take to install the package on a clean machine
TEST_USER = "studybot-test"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started for the tests; the message says what to do."""


def find_bin_dir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: on PATH, or Debian's versioned folder (newest first)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def ensure_bin_dir() -> Path:
    """The binaries' folder, installing Debian's `postgresql` package first when root and missing."""
    found = find_bin_dir()
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise PostgresUnavailable(
            "the tests need PostgreSQL's server binaries (initdb, pg_ctl) and none were found: "
            "install them (Debian/Ubuntu: `sudo apt-get install -y postgresql`) and run again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "postgresql"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        if result.returncode != 0:
            raise PostgresUnavailable(f"`{' '.join(command)}` failed: {result.stderr.strip()[-500:]}")
    found = find_bin_dir()
    if found is None:
        raise PostgresUnavailable("apt-get installed postgresql but initdb is still not found")
    return found


def unprivileged_user() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root, who PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("nobody", TEST_USER):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", TEST_USER], check=True, timeout=30)
    return TEST_USER


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """One throwaway cluster; `database()` hands out a fresh, empty database and its URL."""

    bin_dir: Path
    root: Path
    user: str | None
    port: int = 0
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _as_user(self, *command: str | Path) -> list[str]:
        args = [str(c) for c in command]
        return ["runuser", "-u", self.user, "--", *args] if self.user else args

    def _run(self, *command: str | Path, timeout: float = START_TIMEOUT + 10) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._as_user(*command), capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def start(self) -> None:
        if self.user:
            shutil.chown(self.root, self.user)
        made = self._run(
            self.bin_dir / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        if made.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {made.stderr.strip()[-500:]}")
        last_error = ""
        for _ in range(3):  # a port found free may be taken before the server binds it: try another
            self.port = free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off"
                " -c max_connections=200"
            )
            started = self._run(
                self.bin_dir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", str(START_TIMEOUT),
                "-o", options, "start",
            )  # fmt: skip
            if started.returncode == 0:
                return
            last_error = self.log.read_text(errors="replace")[-800:] if self.log.exists() else started.stderr
        raise PostgresUnavailable(
            f"the test PostgreSQL server did not start within {START_TIMEOUT} s: {last_error.strip()}"
        )

    def halt(self) -> None:
        """Stop the server like a crash would (immediate shutdown), keeping its data for `resume`."""
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t", "30", "stop")

    def resume(self) -> None:
        """Start the halted server again on the same port."""
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(
            self.bin_dir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", str(START_TIMEOUT),
            "-o", options, "start",
        )  # fmt: skip
        if started.returncode != 0:
            raise PostgresUnavailable(f"the test PostgreSQL server did not start again: {started.stderr.strip()}")

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement through psql over TCP (what a user of the URL would see)."""
        psql = self.bin_dir / "psql"
        result = subprocess.run(
            [str(psql), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", self.url(database), "-c", statement],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"psql {statement!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def database(self) -> str:
        """A new empty database (from template0, so nothing leaks between tests); its URL."""
        name = f"test_{os.getpid()}_{next(self._numbers)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.url(name)


def start_server() -> PostgresServer:
    bin_dir = ensure_bin_dir()
    server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="studybot-pg-")), unprivileged_user())
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
