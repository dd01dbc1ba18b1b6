"""The table of calls that block the thread they run on (AS001, AS002, AS003).

Each entry names a callable by its qualified name, as the code imports it
(``import time as t; t.sleep(1)`` and ``from time import sleep; sleep(1)`` are both
``time.sleep``; a submission's own ``def sleep`` is not). An entry with ``methods`` is a
factory: the object it returns blocks in those methods, followed one step
(``conn = sqlite3.connect(db); conn.execute(...)``, ``with httpx.Client() as c: c.get(...)``).

``kind`` says which rules report it:

- ``"blocking"`` (sleep, network, subprocess, synchronous database clients): AS001 in an
  ``async def`` endpoint, AS002 in an ``async def`` background task;
- ``"file"`` (disk and image/table file I/O): AS003 (advice) in an ``async def`` endpoint,
  AS002 in an ``async def`` background task.

The table is printed in ``docs/rules.md``. A rubric adds its own entries with
``[static] blocking_calls`` (see ``grader.static.settings``): they count as ``"blocking"``.
File handles from ``open()``/``Path.open()``, ``Path.read_bytes()``-style methods and the
upload's own ``file.file.read()`` are recognised by shape in ``calls.py``, not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

BLOCKING = "blocking"
FILE = "file"


@dataclass(frozen=True)
class BlockingEntry:
    """One blocking callable: its qualified name, its kind, what to use in async code."""

    name: str
    kind: str
    instead: str
    group: str
    # for a factory (a client, a connection, an image): its methods that block
    methods: frozenset[str] = frozenset()
    # False for a factory whose construction itself does no I/O (``httpx.Client()``)
    call_blocks: bool = True


HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"})
_ASYNC_HTTP = "httpx.AsyncClient (awaited)"
_ASYNC_SLEEP = "await asyncio.sleep(...)"
_SUBPROCESS = "asyncio.create_subprocess_exec (awaited)"
_ASYNC_DB = "an async driver (aiosqlite, asyncpg), or a plain def task/endpoint"
_TO_THREAD = "await anyio.to_thread.run_sync(...), or a plain def task/endpoint"
_ASYNC_FILES = "aiofiles / anyio.Path (awaited), or await anyio.to_thread.run_sync(...)"


def _entries() -> list[BlockingEntry]:
    found = [BlockingEntry("time.sleep", BLOCKING, _ASYNC_SLEEP, "sleep")]
    for prefix in ("requests", "requests.api", "httpx"):
        found += [BlockingEntry(f"{prefix}.{m}", BLOCKING, _ASYNC_HTTP, "network") for m in sorted(HTTP_METHODS)]
    for factory in ("requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"):
        found.append(BlockingEntry(factory, BLOCKING, _ASYNC_HTTP, "network", HTTP_METHODS, call_blocks=False))
    found += [
        BlockingEntry("urllib.request.urlopen", BLOCKING, _ASYNC_HTTP, "network"),
        BlockingEntry("smtplib.SMTP", BLOCKING, "aiosmtplib, or a plain def task", "network",
                      frozenset({"sendmail", "send_message", "login", "starttls"})),
        BlockingEntry("os.system", BLOCKING, _SUBPROCESS, "subprocess"),
        BlockingEntry("os.popen", BLOCKING, _SUBPROCESS, "subprocess"),
    ]
    for function in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"):
        found.append(BlockingEntry(f"subprocess.{function}", BLOCKING, _SUBPROCESS, "subprocess"))
    db_methods = frozenset({"execute", "executemany", "executescript", "commit", "rollback"})
    for factory in ("sqlite3.connect", "psycopg2.connect", "psycopg.connect", "pymysql.connect",
                    "mysql.connector.connect", "MySQLdb.connect"):
        found.append(BlockingEntry(factory, BLOCKING, _ASYNC_DB, "database", db_methods))
    redis_methods = frozenset({"get", "set", "delete", "hget", "hset", "lpush", "rpush", "publish", "incr", "expire"})
    for factory in ("redis.Redis", "redis.StrictRedis", "redis.from_url"):
        found.append(BlockingEntry(factory, BLOCKING, "redis.asyncio (awaited)", "database", redis_methods,
                                   call_blocks=False))
    for name in ("copyfileobj", "copyfile", "copy", "copy2", "move", "copytree", "rmtree"):
        found.append(BlockingEntry(f"shutil.{name}", FILE, _ASYNC_FILES, "files"))
    image_methods = frozenset({"save", "load", "thumbnail", "verify"})
    found += [
        BlockingEntry("PIL.Image.open", FILE, _TO_THREAD, "images", image_methods),
        BlockingEntry("PIL.Image.new", FILE, _TO_THREAD, "images", frozenset({"save"}), call_blocks=False),
        BlockingEntry("cv2.imread", FILE, _TO_THREAD, "images"),
        BlockingEntry("cv2.imwrite", FILE, _TO_THREAD, "images"),
        BlockingEntry("cv2.VideoCapture", FILE, _TO_THREAD, "images", frozenset({"read"})),
    ]
    frame_writers = frozenset({"to_csv", "to_excel", "to_json", "to_parquet", "to_pickle", "to_feather", "to_sql"})
    for reader in ("read_csv", "read_excel", "read_json", "read_parquet", "read_table", "read_pickle",
                   "read_feather", "read_sql", "read_html", "read_xml"):
        found.append(BlockingEntry(f"pandas.{reader}", FILE, _TO_THREAD, "tables", frame_writers))
    found.append(BlockingEntry("pandas.DataFrame", FILE, _TO_THREAD, "tables", frame_writers, call_blocks=False))
    for name in ("load", "save", "loadtxt", "savetxt", "genfromtxt"):
        found.append(BlockingEntry(f"numpy.{name}", FILE, _TO_THREAD, "tables"))
    return found


TABLE: tuple[BlockingEntry, ...] = tuple(_entries())
