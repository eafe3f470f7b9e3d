"""A git smart-HTTP server on 127.0.0.1: `git http-backend` run as a CGI program for every request, with an
optional basic-auth user and an optional delay added to every answer (to stand in for a distant git host).

Used by `git_bench.py` and by the tests of git sources. Serves every repository below `root`:

    with GitHttpServer(root, latency=0.1) as server:
        server.url + "/some/repo.git"
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

BACKEND_CONFIG = {"uploadpack.allowFilter": "true", "uploadpack.allowAnySHA1InWant": "true"}


class GitHttpServer:
    def __init__(self, root: Path, *, latency: float = 0.0, auth: tuple[str, str] | None = None,
                 config: dict | None = None, v2: bool = True):
        """`config` adds to or replaces BACKEND_CONFIG; `v2=False` serves protocol v0 only, as older hosts do."""
        self.root, self.latency, self.v2 = Path(root), latency, v2
        self.config = {**BACKEND_CONFIG, **(config or {})}
        self.expected = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() if auth else None
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Authorization header)
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_GET(self):  # noqa: N802
                owner.answer(self)

            def do_POST(self):  # noqa: N802
                owner.answer(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> GitHttpServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        authorization = handler.headers.get("Authorization")
        with self.lock:
            self.requests.append((handler.command, handler.path, authorization))
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if self.latency:
            time.sleep(self.latency)
        if self.expected and authorization != self.expected:
            self.send(handler, 401, {"WWW-Authenticate": 'Basic realm="git"'}, b"authentication required\n")
            return
        parts = urlsplit(handler.path)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": str(self.root),
               "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
               "REQUEST_METHOD": handler.command, "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
               "GIT_PROTOCOL": handler.headers.get("Git-Protocol", "") if self.v2 else "",
               "HTTP_CONTENT_ENCODING": handler.headers.get("Content-Encoding", ""),
               "GIT_CONFIG_COUNT": str(len(self.config))}
        for index, (key, value) in enumerate(self.config.items()):
            env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = key, value
        result = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n") if ": " in line)
        status = int(headers.pop("Status", "200").split()[0])
        self.send(handler, status, headers, payload)

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, headers: dict, payload: bytes) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def main() -> None:
    """Serve ROOT until interrupted: `python benchmarks/git_http.py ROOT [LATENCY]`; prints the URL."""
    import sys

    root, latency = Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    with GitHttpServer(root, latency=latency) as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
