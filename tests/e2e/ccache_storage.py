#!/usr/bin/env python3
"""ccache's HTTP remote storage (GET, HEAD, PUT, DELETE of files under DIR) on 127.0.0.1.

container.sh gives it to the compile in docker/Dockerfile's build stage, so that an ocipfsd built
in a container before is not compiled again. Prints the port it listens on, then serves until it
is stopped. Usage: ccache_storage.py DIR"""
import http.server
import os
import re
import sys
import tempfile

root = os.path.abspath(sys.argv[1])
key = re.compile(r"^/[0-9a-z]+(/[0-9a-z]+)?$")  # ccache's layout=subdirs: /ab/cdef...


class Storage(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as ccache asks

    def path_of(self):
        return os.path.join(root, self.path.lstrip("/")) if key.match(self.path) else None

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path_of()
        try:
            with open(path, "rb") as f:
                body = f.read()
            os.utime(path)  # recently used: the last to go when the storage is trimmed
        except (OSError, TypeError):
            return self.answer(404)
        self.answer(200, body)

    do_HEAD = do_GET

    def do_PUT(self):
        path = self.path_of()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if path is None:
            return self.answer(400)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), delete=False) as f:
            f.write(body)
        os.replace(f.name, path)
        self.answer(201)

    def do_DELETE(self):
        path = self.path_of()
        try:
            os.remove(path)
        except (OSError, TypeError):
            return self.answer(404)
        self.answer(200)

    def log_message(self, *args):
        pass


os.makedirs(root, exist_ok=True)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Storage)
print(server.server_address[1], flush=True)
server.serve_forever()
