"""Running `studybot run` as a real process, the way a deployment does, for the tests that stop,
kill and restart it."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT

STUDYBOT = Path(sys.executable).parent / "studybot"


def _limit_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, env: dict[str, str], log_path: Path | None = None):
        """`log_path`: the process's stderr goes to this file instead of a pipe. A busy process writes
        more log lines than a pipe holds (64 KiB) and blocks on the next one until someone reads it."""
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STUDYBOT_"))}
        self.env.update(env)
        self.port = int(env["STUDYBOT_HTTP_PORT"])
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = log_path

    async def start(self, *args: str, max_files: int | None = None) -> None:
        """`max_files`: the process's limit on open file descriptors (ulimit -n), as a container may set."""
        log = None if self.log_path is None else self.log_path.open("ab")
        try:
            self.proc = await self._spawn(args, max_files, asyncio.subprocess.PIPE if log is None else log)
        finally:
            if log is not None:
                log.close()  # the child has its own copy

    async def _spawn(self, args: tuple[str, ...], max_files: int | None, stderr: Any) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            str(STUDYBOT),
            *(args or ("run",)),
            env=self.env,
            cwd=PROJECT_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            preexec_fn=None if max_files is None else lambda: _limit_files(max_files),
        )

    async def health(self) -> int:
        """The image's HEALTHCHECK command, run the same way."""
        check = await asyncio.create_subprocess_exec(
            str(STUDYBOT), "health", env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        return await check.wait()

    async def wait_healthy(self, within: float = 30) -> None:
        assert self.proc is not None
        deadline = asyncio.get_running_loop().time() + within
        while await self.health() != 0:
            if self.proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
                _, err = await self.proc.communicate() if self.proc.returncode is not None else (b"", b"")
                raise AssertionError(f"bot not healthy (exit {self.proc.returncode}): {self._err(err)[-2000:]}")
            await asyncio.sleep(0.2)

    async def kill(self) -> None:
        """kill -9: no chance to clean up."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def terminate(self, within: float = 15) -> tuple[int, str]:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(self.proc.communicate(), within)
        return self.proc.returncode or 0, self._err(err)

    async def finish(self, within: float = 30) -> tuple[int, str, str]:
        assert self.proc is not None
        out, err = await asyncio.wait_for(self.proc.communicate(), within)
        return self.proc.returncode or 0, out.decode(), self._err(err)

    def _err(self, piped: bytes | None) -> str:
        if self.log_path is not None:
            return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return (piped or b"").decode()
