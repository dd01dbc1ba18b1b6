"""The parent's requests are the bytes a real client sends: httpx's, byte for byte.

The parent encodes its requests itself (building an httpx Request per upload cost more
than the rest of the exchange); these tests hold the two encoders equal, hostile file
names included.
"""

from __future__ import annotations

import re

import httpx
import pytest

from grader.behavior.observer.client import encode_request

NAMES = [
    "plain.txt",
    "résumé 東京.txt",
    "../../escape.txt",
    "/tmp/abs.txt",
    'quote"and\\back.txt',
    "ctl\x01\x1b\x1f\x7f.txt",
    "new\r\nline.txt",
    "",
]


def _split(raw: list[bytes]) -> tuple[str, dict[str, str], bytes]:
    whole = b"".join(raw)
    head, _, body = whole.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], {k.lower(): v for k, v in headers.items()}, body


def _httpx(method: str, path: str, **kwargs) -> tuple[str, dict[str, str], bytes]:
    request = httpx.Request(method, "http://app" + path, **kwargs)
    body = request.read()
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "host"}
    return f"{method} {request.url.raw_path.decode('ascii')} HTTP/1.1", headers, body


@pytest.mark.parametrize("filename", NAMES)
def test_multipart_upload_matches_httpx(filename: str) -> None:
    content = b"\x00\r\nbytes\xff" * 100
    files = {"file": (filename, content, "text/plain")}
    line, headers, body = _split(encode_request("POST", "/upload", files=files, headers={"x-grader-exchange": "t-1"}))
    boundary = re.search(r"boundary=(\w+)", headers["content-type"]).group(1)
    want_line, want_headers, want_body = _httpx_with_boundary("POST", "/upload", boundary, files=files,
                                                              headers={"x-grader-exchange": "t-1"})
    assert line == want_line
    assert body == want_body
    assert int(headers["content-length"]) == len(body)
    assert {k: v for k, v in headers.items() if k not in ("host", "connection")} == want_headers


def _httpx_with_boundary(method: str, path: str, boundary: str, **kwargs) -> tuple[str, dict[str, str], bytes]:
    headers = dict(kwargs.pop("headers", {}))
    headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    return _httpx(method, path, headers=headers, **kwargs)


def test_form_fields_before_files_match_httpx() -> None:
    files = {"file": ("a.bin", b"abc", "application/octet-stream")}
    data = {"comment": 'say "hi"', "n": "1"}
    _line, headers, body = _split(encode_request("POST", "/up", files=files, data=data))
    boundary = re.search(r"boundary=(\w+)", headers["content-type"]).group(1)
    assert body == _httpx_with_boundary("POST", "/up", boundary, files=files, data=data)[2]


def test_form_without_file_is_urlencoded_like_httpx() -> None:
    data = {"comment": "no file here & more"}
    line, headers, body = _split(encode_request("POST", "/upload", data=data))
    want_line, want_headers, want_body = _httpx("POST", "/upload", data=data)
    assert (line, body) == (want_line, want_body)
    assert headers["content-type"] == want_headers["content-type"]
    assert headers["content-length"] == str(len(body))


@pytest.mark.parametrize("path", ["/__grader__/abc/exchange/upload-1?wait=0.500", "/résumé/up load", "/a%20b/c"])
def test_get_target_is_escaped_like_httpx(path: str) -> None:
    line, headers, body = _split(encode_request("GET", path))
    assert line == _httpx("GET", path)[0]
    assert body == b"" and "content-length" not in headers


def test_empty_post_says_its_length() -> None:
    _line, headers, body = _split(encode_request("POST", "/x"))
    assert body == b"" and headers["content-length"] == "0"


def test_upload_bytes_are_sent_as_their_own_part() -> None:
    content = b"x" * 4096
    raw = encode_request("POST", "/upload", files={"file": ("a.txt", content, "text/plain")})
    assert any(part is content for part in raw)
