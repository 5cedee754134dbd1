#!/usr/bin/env python3
"""Prints the exact bytes of one HTTP/1.1 answer (status line, headers, body), for run.sh's floor server.

    raw_answer.py PORT METHOD PATH [ACCEPT [IF_NONE_MATCH]]

Sends the request to 127.0.0.1:PORT on a fresh connection and writes the answer to stdout as it
came: the head up to its blank line, then Content-Length bytes of body (none for HEAD, 1xx, 204
and 304). Exit status 1 when the answer is incomplete or has no length.
"""
import socket
import sys


def main():
    port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    accept = sys.argv[4] if len(sys.argv) > 4 else ""
    if_none_match = sys.argv[5] if len(sys.argv) > 5 else ""
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if accept:
        request += f"Accept: {accept}\r\n"
    if if_none_match:
        request += f"If-None-Match: {if_none_match}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((request + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                sys.exit("raw_answer.py: the connection closed before the end of the head")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        if method != "HEAD" and status not in (204, 304) and status >= 200:
            lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")]
            if not lengths:
                sys.exit("raw_answer.py: the answer has no Content-Length")
            length = int(lengths[0])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                sys.exit("raw_answer.py: the connection closed before the end of the body")
            body += chunk
    if len(body) != length:
        sys.exit("raw_answer.py: more bytes than the answer's length")
    sys.stdout.buffer.write(head + b"\r\n\r\n" + body)


main()
