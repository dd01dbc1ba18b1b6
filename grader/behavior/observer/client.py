"""The parent's HTTP client: real HTTP/1.1 over the Unix socket the child serves on.

Each request gets its own connection from a client socket bound to a unique abstract
name (``\\0grader-<run>-<n>``): when the child's send is trapped
(:mod:`grader.behavior.observer.send_trap`), the parent reads the peer name of the
child's socket and knows which of its own requests that response belongs to. Every
instant is taken on the parent's clock: request fully sent, response head received,
response complete. The response is read through h11 with a cap on what is kept, so a
flood or a never-ending body costs nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import h11

MAX_KEPT_BODY = 4096
MAX_READ_BODY = 1 << 20  # past this the connection is closed: nothing of ours needs more
MAX_HEAD_BYTES = 64 * 1024


@dataclass
class HttpExchange:
    """One request and what came back, on the parent's clock (``time.monotonic``)."""

    label: str
    method: str
    path: str
    connection: int
    started: float
    sent: float | None = None  # the last byte of the request was handed to the kernel
    head: float | None = None  # the status line and headers were read
    done: float | None = None  # the response was complete
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None  # the connection broke, or the bytes were not HTTP
    timed_out: bool = False
    budget_s: float = 0.0
    keep_body: int = MAX_KEPT_BODY

    def ms(self, instant: float | None) -> float | None:
        return None if instant is None else round((instant - self.started) * 1000, 1)

    def received(self) -> str:
        """One line for a report: status and the start of the body, or what went wrong."""
        if self.status is None:
            if self.timed_out:
                return f"no response within {self.budget_s:g} s"
            return f"no response: {self.error or 'the server closed the connection'}"
        text = self.body[:300].decode("utf-8", "replace")
        more = "..." if len(self.body) > 300 else ""
        return f"HTTP {self.status} {text}{more}".rstrip()


# What a browser (and httpx) escapes inside a multipart parameter: quotes, backslashes
# and control characters (HTML5's form encoding).
_FORM_ESCAPES = {'"': "%22", "\\": "\\\\", **{chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}}
_FORM_ESCAPE_TABLE = str.maketrans(_FORM_ESCAPES)
# Characters a request target keeps as they are (RFC 3986 path and query, plus escapes).
_TARGET_SAFE = "/:@!$&'()*+,;=-._~%?"


def _form_param(name: str, value: str) -> bytes:
    return f'{name}="{value.translate(_FORM_ESCAPE_TABLE)}"'.encode()


def encode_request(method: str, path: str, *, files: dict[str, tuple[str, bytes, str]] | None = None,
                   data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> list[bytes]:
    """The request's bytes, in parts to send one after the other.

    The form is encoded as httpx encodes it (a test holds the two byte for byte): a real
    client's quoting of file names, a form without files urlencoded. Each file's bytes
    are their own part, so a 4 MiB upload is never copied into one request buffer.
    """
    parts: list[bytes] = []
    fields: list[tuple[str, str]] = []
    if files:
        boundary = secrets.token_hex(16).encode("ascii")
        content_type = "multipart/form-data; boundary=" + boundary.decode("ascii")
        pending = b""
        for name, value in (data or {}).items():
            pending += (b"--%s\r\nContent-Disposition: form-data; %s\r\n\r\n%s\r\n"
                        % (boundary, _form_param("name", name), str(value).encode()))
        for name, (filename, content, file_type) in files.items():
            head = b"--%s\r\nContent-Disposition: form-data; %s" % (boundary, _form_param("name", name))
            if filename:
                head += b"; " + _form_param("filename", filename)
            parts += [pending + head + f"\r\nContent-Type: {file_type}\r\n\r\n".encode(), content]
            pending = b"\r\n"
        parts.append(pending + b"--%s--\r\n" % boundary)
        fields.append(("Content-Type", content_type))
    elif data:
        parts.append(urlencode(data).encode("ascii"))
        fields.append(("Content-Type", "application/x-www-form-urlencoded"))
    length = sum(len(p) for p in parts)
    if parts or method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        fields.insert(0, ("Content-Length", str(length)))
    fields += [(k, v) for k, v in (headers or {}).items() if k.lower() not in ("host", "connection", "content-length")]
    head_lines = [f"{method} {quote(path, safe=_TARGET_SAFE)} HTTP/1.1", "Host: app", "Connection: close"]
    head_lines += [f"{k}: {v}" for k, v in fields]
    head = ("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1")
    return [head + parts[0], *parts[1:]] if parts else [head]


class HttpClient:
    """Talks to the app over ``socket_path``; ``run_id`` makes its connection names unique."""

    def __init__(self, socket_path: str, run_id: str) -> None:
        self.socket_path = socket_path
        self.prefix = f"grader-{run_id}-"
        self._numbers = itertools.count(1)

    def connection_of(self, peer_name: Any) -> int | None:
        """Our connection number from the peer name of the child's socket (or None)."""
        if isinstance(peer_name, bytes):
            peer_name = peer_name.decode("latin-1")
        if not isinstance(peer_name, str) or not peer_name.startswith("\0" + self.prefix):
            return None
        tail = peer_name[len(self.prefix) + 1:]
        return int(tail) if tail.isdigit() else None

    def new_connection_number(self) -> int:
        return next(self._numbers)

    async def request(self, label: str, method: str, path: str, budget_s: float, *,
                      files: dict[str, tuple[str, bytes, str]] | None = None,
                      data: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                      connection: int | None = None, on_sent: Any = None,
                      keep_body: int = MAX_KEPT_BODY) -> HttpExchange:
        number = connection if connection is not None else self.new_connection_number()
        raw = encode_request(method, path, files=files, data=data, headers=headers)
        exchange = HttpExchange(label, method, path, number, time.monotonic(), budget_s=budget_s,
                                keep_body=keep_body)
        try:
            await asyncio.wait_for(self._exchange(exchange, raw, on_sent), budget_s)
        except asyncio.TimeoutError:
            exchange.timed_out = True
        return exchange

    async def _exchange(self, exchange: HttpExchange, raw: list[bytes], on_sent: Any) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(f"\0{self.prefix}{exchange.connection}".encode("latin-1"))
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, self.socket_path)
                for part in raw:
                    await loop.sock_sendall(sock, part)
            except OSError as exc:
                exchange.error = f"the request could not be sent ({os.strerror(exc.errno or 0) or exc})"
                # The server may still have answered (it refused the body midway).
            exchange.sent = time.monotonic()
            if on_sent is not None:
                on_sent(exchange)
            await self._read_response(loop, sock, exchange)
        finally:
            sock.close()

    async def _read_response(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                             exchange: HttpExchange) -> None:
        parser = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        # The parser must believe it sent a request to accept a response.
        parser.send(h11.Request(method=exchange.method, target="/", headers=[("Host", "app")]))
        parser.send(h11.EndOfMessage())
        read_bytes = 0
        kept = bytearray()
        while exchange.done is None:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as exc:
                exchange.error = ("the server closed the connection before the response was complete"
                                  if exchange.status is not None else f"the server's answer is not valid HTTP ({exc})")
                return
            if event is h11.NEED_DATA:
                try:
                    chunk = await loop.sock_recv(sock, 1 << 16)
                except OSError as exc:
                    exchange.error = f"the connection broke ({os.strerror(exc.errno or 0) or exc})"
                    return
                parser.receive_data(chunk)  # b"" is the end of the stream: h11 judges it
                continue
            if isinstance(event, h11.ConnectionClosed):
                if exchange.status is None:
                    exchange.error = exchange.error or "the server closed the connection without answering"
                return
            self._take(event, exchange, kept)
            if isinstance(event, h11.Data):
                read_bytes += len(event.data)
                if read_bytes > MAX_READ_BODY:
                    exchange.error = f"the response body is larger than {MAX_READ_BODY:,} bytes"
                    return

    @staticmethod
    def _take(event: Any, exchange: HttpExchange, kept: bytearray) -> None:
        if isinstance(event, h11.Response):
            exchange.head = time.monotonic()
            exchange.status = int(event.status_code)
            exchange.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers]
        elif isinstance(event, h11.Data):
            room = exchange.keep_body - len(kept)
            if room > 0:
                kept.extend(event.data[:room])
                exchange.body = bytes(kept)
        elif isinstance(event, h11.EndOfMessage):
            exchange.done = time.monotonic()
