#!/usr/bin/env python3
"""Start a real, embedded Neo4j 5.26 LTS server (Bolt on 127.0.0.1) for development and tests.

Standard library only.  The Java side lives next to this file (``pom.xml``,
``src/main/java/oretrace/neo4j/Server.java``); it is built with Maven on first use.

From Python (this folder has a dash in its name, so load it by path)::

    import importlib.util, pathlib
    _p = pathlib.Path("tools/neo4j-server/launch.py")
    _spec = importlib.util.spec_from_file_location("oretrace_neo4j_launch", _p)
    launch = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(launch)

    with launch.start() as server:          # port=0: any free port
        driver = neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password))

From a shell::

    python tools/neo4j-server/launch.py [--port 7687] [--password oretrace-test]
    python tools/neo4j-server/launch.py --import DIR   # files of `oretrace neo4j import-files`

``import_dir`` (``--import``) first runs Neo4j's bulk importer (``neo4j-admin database import
full``, from the ``neo4j-import-tool`` jar already among the dependencies) into a fresh store,
then starts the server on it and runs the folder's ``after-import.cypher`` (constraints,
indexes, fixes the importer cannot make).
"""

from __future__ import annotations

import argparse
import atexit
import collections
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "HERE",
    "JAR",
    "Neo4jServer",
    "build",
    "import_command",
    "needs_build",
    "run_import",
    "start",
]

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
SRC = HERE / "src"
TARGET = HERE / "target"
JAR = TARGET / "oretrace-neo4j-server.jar"
LIB = TARGET / "lib"

DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "oretrace-test"
PASSWORD_ENV = "ORETRACE_NEO4J_PASSWORD"  # how the password reaches the JVM (not visible in `ps`)
READY_PREFIX = "NEO4J READY "
LOG_TAIL_LINES = 40


# ---------------------------------------------------------------------------------------- build


def _source_files() -> Iterable[Path]:
    yield POM
    if SRC.is_dir():
        for path in SRC.rglob("*"):
            if path.is_file():
                yield path


def _manifest_class_path(jar: Path) -> list[str]:
    """Class-Path entries of the jar's manifest (the copied dependency jars)."""
    with zipfile.ZipFile(jar) as zf:
        text = zf.read("META-INF/MANIFEST.MF").decode("utf-8")
    # Manifest lines are wrapped at 72 bytes; continuation lines start with one space.
    unwrapped = text.replace("\r\n", "\n").replace("\n ", "")
    for line in unwrapped.split("\n"):
        if line.startswith("Class-Path:"):
            return line[len("Class-Path:") :].split()
    return []


def needs_build() -> bool:
    """True if the runnable jar or any of its dependency jars is missing, or sources are newer."""
    try:
        jar_mtime = JAR.stat().st_mtime
    except FileNotFoundError:
        return True
    try:
        if any(p.stat().st_mtime >= jar_mtime for p in _source_files()):
            return True
        class_path = _manifest_class_path(JAR)
    except (OSError, KeyError, zipfile.BadZipFile):
        return True
    if not class_path:
        return True
    return not all((TARGET / entry).is_file() for entry in class_path)


class _BuildLock:
    """Inter-process lock so parallel test workers don't run Maven on the same folder at once."""

    def __init__(self) -> None:
        name = f"oretrace-neo4j-build-{zlib.crc32(str(HERE).encode()):08x}.lock"
        self._path = Path(tempfile.gettempdir()) / name
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> _BuildLock:
        try:
            import fcntl
        except ImportError:  # not POSIX: no locking
            return self
        self._fh = open(self._path, "ab")
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()  # releases the flock
            self._fh = None


def build(quiet: bool = True, force: bool = False, timeout: float = 1800) -> Path:
    """Run ``mvn -q -B package -DskipTests`` here if the artifacts are missing or stale.

    Returns the path of the runnable jar.  Raises RuntimeError (with the tail of Maven's
    output) if Maven is missing, fails or takes longer than ``timeout`` seconds.  With
    ``quiet=False`` Maven's output is also streamed to stderr.
    """
    with _BuildLock():
        if not force and not needs_build():
            return JAR
        mvn = os.environ.get("MVN") or shutil.which("mvn")
        if not mvn:
            raise RuntimeError(
                f"Maven ('mvn') not found on PATH; it is needed once to build {HERE}"
            )
        cmd = [mvn, "-q", "-B", "package", "-DskipTests"]
        tail: collections.deque[str] = collections.deque(maxlen=60)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=HERE,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as e:
            raise RuntimeError(f"could not run {' '.join(cmd)}: {e}") from e
        timer = threading.Timer(timeout, proc.kill)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(line.rstrip("\n"))
                if not quiet:
                    sys.stderr.write(line)
            rc = proc.wait()
        finally:
            timer.cancel()
            if proc.stdout is not None:
                proc.stdout.close()  # else a ResourceWarning when the pipe is collected
        elapsed = time.monotonic() - started
        if rc != 0 or not JAR.is_file():
            why = f"timed out after {timeout:.0f} s" if elapsed >= timeout else f"exit code {rc}"
            output = "\n".join(tail) or "(no output)"
            raise RuntimeError(
                f"Maven build of the embedded Neo4j server failed ({why}) in {HERE}:\n"
                f"  {' '.join(cmd)}\n--- last lines of Maven output ---\n{output}"
            )
        # Maven may keep an older jar mtime if nothing changed; make the freshness check stable.
        os.utime(JAR, None)
        return JAR


# --------------------------------------------------------------------------------------- server


def _java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
    java = shutil.which("java")
    if not java:
        raise RuntimeError("no 'java' (17+) on PATH and JAVA_HOME is not set")
    return java


def _tail(path: Path, n: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(collections.deque(fh, maxlen=n)).rstrip("\n") or "(log is empty)"
    except OSError as e:
        return f"(could not read log {path}: {e})"


# Strong references: a server lives until stop() or interpreter exit, even if the caller drops it.
_live_servers: set[Neo4jServer] = set()


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


@atexit.register
def _stop_leftover_servers() -> None:
    for server in list(_live_servers):
        with contextlib.suppress(Exception):  # best effort at interpreter exit
            server.stop()


class Neo4jServer:
    """A running embedded Neo4j JVM.  Use :func:`start` to create one."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        uri: str,
        user: str,
        password: str,
        log_path: Path,
        log_dir_owned: Path | None,
        keep_log: bool,
        stdout_thread: threading.Thread,
        store_owned: Path | None = None,
    ) -> None:
        self.process = process
        self.uri = uri
        self.user = user
        self.password = password
        self.log_path = log_path
        self.host, _, port = uri.rpartition("/")[2].rpartition(":")
        self.port = int(port)
        self._log_dir_owned = log_dir_owned
        self._keep_log = keep_log
        self._stdout_thread = stdout_thread
        self._store_owned = store_owned
        self._lock = threading.Lock()
        self._stopped = False
        _live_servers.add(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def auth(self) -> tuple[str, str]:
        """``(user, password)``, ready for ``GraphDatabase.driver(uri, auth=server.auth)``."""
        return (self.user, self.password)

    def env(self) -> dict[str, str]:
        """The NEO4J_URI / NEO4J_USERNAME / NEO4J_PASSWORD variables for this server."""
        return {"NEO4J_URI": self.uri, "NEO4J_USERNAME": self.user, "NEO4J_PASSWORD": self.password}

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> int | None:
        """Stop the server: close stdin (clean shutdown), wait, then SIGTERM, then SIGKILL.

        Idempotent.  Returns the JVM's exit code (0 after stdin EOF, 143 after SIGTERM).
        """
        with self._lock:
            if self._stopped:
                return self.process.returncode
            self._stopped = True
            proc = self.process
            try:
                if proc.stdin is not None and not proc.stdin.closed:
                    proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self._stdout_thread.join(timeout=5)
            _close_pipes(proc)
            _live_servers.discard(self)
            clean = proc.returncode in (0, 143, -signal.SIGTERM)
            if self._log_dir_owned is not None and clean and not self._keep_log:
                shutil.rmtree(self._log_dir_owned, ignore_errors=True)
            if self._store_owned is not None:
                shutil.rmtree(self._store_owned, ignore_errors=True)
            return proc.returncode

    def __enter__(self) -> Neo4jServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else f"exited {self.process.returncode}"
        return f"<Neo4jServer {self.uri} pid={self.pid} {state}>"


def start(
    port: int = 0,
    password: str = DEFAULT_PASSWORD,
    timeout: float = 180,
    *,
    store: os.PathLike[str] | str | None = None,
    heap: str = "1g",
    pagecache: str = "256m",
    jvm_args: Sequence[str] = (),
    log_dir: os.PathLike[str] | str | None = None,
    keep_log: bool = False,
    build_if_needed: bool = True,
    quiet_build: bool = True,
    import_dir: os.PathLike[str] | str | None = None,
    import_memory: str = "1g",
) -> Neo4jServer:
    """Build (if needed) and start an embedded Neo4j 5.26 server; return once Bolt is ready.

    ``port=0`` picks a free port (see ``server.port`` / ``server.uri``).  ``store`` is a
    persistent DBMS home directory; by default a fresh temporary store is used and deleted
    when the server stops.  The JVM's stderr goes to ``server.log_path`` (in a temp dir that is
    removed after a clean stop unless ``keep_log`` or ``log_dir`` is given).  ``timeout``
    bounds the wait for READY (the Maven build, if any, is not counted).  Raises RuntimeError
    with the last 40 log lines if the JVM dies or is not ready in time.

    ``import_dir`` names a folder written by ``oretrace neo4j import-files``: its files are
    bulk-imported into the default database of ``store`` (replacing that database; a fresh
    temporary store when ``store`` is None) before the server starts, using at most
    ``import_memory`` off heap, and its ``after-import.cypher`` runs once the server is up.
    The import's output goes to the log; a failed import raises RuntimeError with its tail.
    """
    if not password:
        raise ValueError("password must not be empty")
    if build_if_needed:
        build(quiet=quiet_build)
    elif not JAR.is_file():
        raise RuntimeError(f"{JAR} is not built; call build() first")

    if log_dir is None:
        log_dir_path = Path(tempfile.mkdtemp(prefix="oretrace-neo4j-log-"))
        owned: Path | None = log_dir_path
    else:
        log_dir_path = Path(log_dir)
        log_dir_path.mkdir(parents=True, exist_ok=True)
        owned = None
    log_path = log_dir_path / "neo4j-server.log"

    init: list[str] = []
    store_owned: Path | None = None
    if import_dir is not None:
        if store is None:
            store = store_owned = Path(tempfile.mkdtemp(prefix="oretrace-neo4j-import-"))
        try:
            init = ["--init", str(run_import(import_dir, store, log_path, heap=heap,
                                             memory=import_memory))]
        except BaseException:
            if store_owned is not None:
                shutil.rmtree(store_owned, ignore_errors=True)
            raise

    cmd = [
        _java_executable(),
        "-Xms128m",
        "-Xmx" + heap,
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-Djdk.nio.maxCachedBufferSize=1024",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dlog4j2.disable.jmx=true",
        "-Dfile.encoding=UTF-8",
        *jvm_args,
        "-jar",
        str(JAR),
        "--port",
        str(int(port)),
        "--pagecache",
        pagecache,
        *init,
    ]
    if store is not None:
        cmd += ["--store", str(Path(store).resolve())]
    env = dict(os.environ)
    env[PASSWORD_ENV] = password

    # The child keeps its own descriptor of the log; ours is closed right after the spawn.
    with open(log_path, "ab") as log_fh:
        log_fh.write(f"$ {' '.join(cmd)}\n".encode())
        log_fh.flush()
        try:
            process = subprocess.Popen(
                cmd,
                cwd=str(log_dir_path),
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_fh,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the JVM ourselves
            )
        except OSError as e:
            raise RuntimeError(f"could not start java: {e}") from e

    ready = threading.Event()
    found: list[str] = []

    def pump_stdout() -> None:
        # Read the READY line, then keep draining stdout (into the log) so the pipe never fills.
        assert process.stdout is not None
        with process.stdout, open(log_path, "ab") as extra:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not ready.is_set() and line.startswith(READY_PREFIX):
                    found.append(line[len(READY_PREFIX) :].strip())
                    ready.set()
                else:
                    extra.write(f"[stdout] {line}\n".encode())
                    extra.flush()
        ready.set()  # EOF: wake the waiter

    thread = threading.Thread(target=pump_stdout, name=f"neo4j-stdout-{process.pid}", daemon=True)
    thread.start()

    def fail(reason: str) -> RuntimeError:
        if process.poll() is None:
            process.kill()
        process.wait()
        thread.join(timeout=5)
        _close_pipes(process)
        return RuntimeError(
            f"embedded Neo4j server {reason} (exit code {process.returncode}); log: {log_path}\n"
            f"--- last {LOG_TAIL_LINES} log lines ---\n{_tail(log_path)}"
        )

    deadline = time.monotonic() + timeout
    try:
        while not ready.wait(timeout=0.2):
            if process.poll() is not None:
                thread.join(timeout=5)
                if found:
                    break
                raise fail("exited before it was ready")
            if time.monotonic() > deadline:
                raise fail(f"was not ready within {timeout:.0f} s")
        if not found:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                raise fail("closed stdout before it was ready") from None
            raise fail("exited before it was ready")
    except BaseException:  # e.g. Ctrl-C while waiting: never leave the JVM behind
        if process.poll() is None:
            process.kill()
            process.wait()
            thread.join(timeout=5)
            _close_pipes(process)
        if store_owned is not None:
            shutil.rmtree(store_owned, ignore_errors=True)
        raise

    return Neo4jServer(
        process=process,
        uri=found[0],
        user=DEFAULT_USER,
        password=password,
        log_path=log_path,
        log_dir_owned=owned,
        keep_log=keep_log,
        stdout_thread=thread,
        store_owned=store_owned,
    )


def import_command(import_dir: os.PathLike[str] | str, *, memory: str = "1g") -> list[str]:
    """The bulk importer's arguments after ``java``, for the files in ``import_dir``.

    ``import.json`` there lists the importer's arguments, with paths relative to the folder.
    """
    folder = Path(import_dir).resolve()
    try:
        spec = json.loads((folder / "import.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RuntimeError(f"{folder} holds no readable import.json (write the folder with "
                           f"`oretrace neo4j import-files`): {e}") from e
    args = []
    for arg in spec["arguments"]:
        name, _, value = arg.partition("=")
        if name in ("--nodes", "--relationships"):
            head, eq, path = value.rpartition("=")
            arg = f"{name}={head}{eq}{folder / path}"
        args.append(arg)
    return ["-cp", str(LIB / "*"), "org.neo4j.cli.AdminTool", "database", "import", "full",
            "neo4j", "--overwrite-destination", f"--max-off-heap-memory={memory}", *args]


def run_import(import_dir: os.PathLike[str] | str, store: os.PathLike[str] | str,
               log_path: Path, *, heap: str = "1g", memory: str = "1g") -> Path:
    """Bulk-import the files of ``import_dir`` into the default database of ``store``.

    Returns the folder's ``after-import.cypher``, to run once the server is up. Raises
    RuntimeError with the end of the importer's output if it fails.
    """
    home = Path(store).resolve()
    home.mkdir(parents=True, exist_ok=True)
    cmd = [_java_executable(), "-Xmx" + heap, *import_command(import_dir, memory=memory)]
    env = dict(os.environ, NEO4J_HOME=str(home))
    env.pop("NEO4J_CONF", None)
    with open(log_path, "ab") as log_fh:
        log_fh.write(f"$ {' '.join(cmd)}\n".encode())
        log_fh.flush()
        rc = subprocess.run(cmd, cwd=str(home), env=env, stdin=subprocess.DEVNULL,
                            stdout=log_fh, stderr=subprocess.STDOUT, check=False).returncode
    if rc != 0:
        raise RuntimeError(f"the bulk import of {import_dir} into {home} failed (exit code "
                           f"{rc}); log: {log_path}\n--- last {LOG_TAIL_LINES} log lines ---\n"
                           f"{_tail(log_path)}")
    return Path(import_dir).resolve() / "after-import.cypher"


# ------------------------------------------------------------------------------------------ CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run an embedded Neo4j 5.26 server (Bolt on 127.0.0.1) in the foreground."
    )
    parser.add_argument(
        "--port", type=int, default=7687, help="Bolt port (default 7687; 0 = any free port)"
    )
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of user neo4j")
    parser.add_argument(
        "--store", help="persistent store directory (default: temporary, deleted on exit)"
    )
    parser.add_argument("--heap", default="1g", help="JVM max heap (default 1g)")
    parser.add_argument("--pagecache", default="256m", help="Neo4j page cache (default 256m)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for READY")
    parser.add_argument("--import", dest="import_dir", metavar="DIR",
                        help="bulk-import the files of `oretrace neo4j import-files DIR` into a "
                             "fresh store (replacing --store's database) before starting")
    parser.add_argument("--build-only", action="store_true", help="build (if needed) and exit")
    parser.add_argument("--rebuild", action="store_true", help="force a Maven build first")
    parser.add_argument("--verbose", action="store_true", help="show Maven output")
    args = parser.parse_args(argv)

    try:
        if args.rebuild or args.build_only:
            if args.rebuild or needs_build():
                print(f"Building {HERE} ...", file=sys.stderr, flush=True)
            build(quiet=not args.verbose, force=args.rebuild)
            if args.build_only:
                print(JAR)
                return 0
        elif needs_build():
            print(f"Building {HERE} (first run takes a while) ...", file=sys.stderr, flush=True)
            build(quiet=not args.verbose)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1

    # Turn SIGTERM into a normal exit so the `finally` below stops the JVM.
    def on_sigterm(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)

    try:
        server = start(
            port=args.port,
            password=args.password,
            timeout=args.timeout,
            store=args.store,
            heap=args.heap,
            pagecache=args.pagecache,
            import_dir=args.import_dir,
        )
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

    try:
        print(f"Neo4j 5.26 is ready at {server.uri} (pid {server.pid})")
        print(f"  user: {server.user}  password: {server.password}")
        print(f"  log:  {server.log_path}")
        print("Point oretrace at it with:")
        for key, value in server.env().items():
            print(f"  export {key}={value}")
        print("Press Ctrl-C to stop.", flush=True)
        rc = server.process.wait()
        tail = _tail(server.log_path)
        print(f"Neo4j exited unexpectedly (exit code {rc}); last log lines:", file=sys.stderr)
        print(tail, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...", file=sys.stderr, flush=True)
        return 0
    finally:
        server.stop()
        if not server.is_running():
            print("Neo4j stopped.", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
