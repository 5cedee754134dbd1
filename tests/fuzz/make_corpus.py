#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (run it again after changing them).

The layer manifests and CIDs are those of tests/support/test_data.hpp, which fuzz_handler and
fuzz_gateway_response serve from their fake gateway; the image digests are those ocipfs
synthesizes for them (canonical JSON, as src/image/image.cpp writes it).
"""
import hashlib
import json
import shutil
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

# tests/support/test_data.hpp
LAYER_DIR_CID = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
LAYER_DIGEST = "sha256:" + "1" * 64
LAYER_DIFF_ID = "sha256:" + "2" * 64


def layer_manifest_json(file="hello.tar.gz", extra=""):
    return (
        '{"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json",' + extra +
        '"layer":{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",'
        '"digest":"' + LAYER_DIGEST + '","size":1234,"annotations":{"io.ocipfs.layer.ipfs.cid":"' +
        LAYER_DIR_CID + "/" + file + '","io.ocipfs.layer.fs.digest":"' + LAYER_DIFF_ID + '"}}}')


# Multiformats.
B32 = "abcdefghijklmnopqrstuvwxyz234567"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def base32(data):
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    return "".join(B32[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))


def basex(data, alphabet):
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, digit = divmod(n, len(alphabet))
        out = alphabet[digit] + out
    return alphabet[0] * zeros + out


def cid_bytes(codec, digest, hash_code=0x12):
    return varint(1) + varint(codec) + varint(hash_code) + varint(len(digest)) + digest


def raw_cid(content, base="b"):
    data = cid_bytes(0x55, hashlib.sha256(content.encode()).digest())
    return cid_text(data, base)


def cid_text(data, base="b"):
    return {"b": "b" + base32(data), "B": "B" + base32(data).upper(), "k": "k" + basex(data, B36),
            "z": "z" + basex(data, B58)}[base]


def unixfs_file_block(content):
    def field_bytes(number, payload):
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    def field_varint(number, value):
        return varint(number << 3) + varint(value)

    unixfs = field_varint(1, 2) + (field_bytes(2, content) if content else b"") + field_varint(
        3, len(content))
    return field_bytes(1, unixfs)


def dag_pb_cid(block, base="b"):
    return cid_text(cid_bytes(0x70, hashlib.sha256(block).digest()), base)


# The image ocipfs synthesizes (src/image/image.cpp).
PLATFORMS = [("linux", "amd64", ""), ("linux", "arm64", "v8"), ("linux", "arm", "v7"),
             ("linux", "arm", "v6"), ("linux", "386", ""), ("linux", "ppc64le", ""),
             ("linux", "s390x", ""), ("linux", "riscv64", "")]


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def blob(value):
    data = canonical(value)
    return data, "sha256:" + hashlib.sha256(data.encode()).hexdigest()


def synthesize(cid, manifest):
    layer = json.loads(manifest)["layer"]
    annotations = layer["annotations"]

    def platform_json(platform):
        out = {"architecture": platform[1], "os": platform[0]}
        if platform[2]:
            out["variant"] = platform[2]
        return out

    entries, configs = [], []
    for platform in PLATFORMS:
        config = dict(platform_json(platform), config={},
                      history=[{"created_by": "ocipfs layer/" + cid}],
                      rootfs={"type": "layers", "diff_ids": [annotations["io.ocipfs.layer.fs.digest"]]})
        config_bytes, config_digest = blob(config)
        configs.append(config_digest)
        manifest_doc = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config_bytes)},
            "layers": [{"mediaType": layer["mediaType"], "digest": layer["digest"],
                        "size": layer["size"], "annotations": annotations}]}
        manifest_bytes, manifest_digest = blob(manifest_doc)
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest, "size": len(manifest_bytes),
                        "platform": platform_json(platform)})
    _, index_digest = blob({"schemaVersion": 2,
                            "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": entries})
    return {"index": index_digest, "manifests": [e["digest"] for e in entries], "configs": configs}


MANIFEST = layer_manifest_json()
MANIFEST_CID = raw_cid(MANIFEST)
MANIFEST_CID_36 = raw_cid(MANIFEST, "k")
ARM = layer_manifest_json("v1.0", '"platform":{"os":"linux","architecture":"arm64","variant":"v8"},')
FILE = layer_manifest_json("layer.tar")
FILE_BLOCK = unixfs_file_block(FILE.encode())
IMAGE = synthesize(MANIFEST_CID, MANIFEST)
ROUTE_IMAGE = synthesize("bafkreifake", MANIFEST)  # what fuzz_route resolves every CID to

DOCKER_ACCEPT = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/json",
]
BUILDKIT_ACCEPT = ("application/vnd.docker.distribution.manifest.v2+json, "
                   "application/vnd.docker.distribution.manifest.list.v2+json, "
                   "application/vnd.oci.image.manifest.v1+json, "
                   "application/vnd.oci.image.index.v1+json, */*")
CONTAINERS_ACCEPT = ("application/vnd.oci.image.manifest.v1+json, "
                     "application/vnd.docker.distribution.manifest.v2+json, "
                     "application/vnd.docker.distribution.manifest.v1+prettyjws, "
                     "application/vnd.docker.distribution.manifest.v1+json, "
                     "application/vnd.docker.distribution.manifest.list.v2+json, "
                     "application/vnd.oci.image.index.v1+json")


def write(target, files):
    directory = CORPUS / target
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, content in files.items():
        (directory / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def cid_corpus():
    sha = hashlib.sha256(MANIFEST.encode()).digest()
    raw = cid_bytes(0x55, sha)
    write("fuzz_cid", {
        "raw-base32": cid_text(raw, "b"),
        "raw-base32-upper": cid_text(raw, "B"),
        "raw-base36": cid_text(raw, "k"),
        "raw-base58": cid_text(raw, "z"),
        "raw-binary": raw,
        "v0": LAYER_DIR_CID,
        "dag-pb-base32": dag_pb_cid(FILE_BLOCK),
        "identity-empty": "bafkqaaa",
        "identity-dag-pb": cid_text(cid_bytes(0x70, unixfs_file_block(b"{}"), 0x00), "b"),
        "dag-cbor": cid_text(cid_bytes(0x71, sha), "b"),
        "libp2p-key-base36": cid_text(cid_bytes(0x72, sha, 0x00), "k"),
        "sha512": cid_text(cid_bytes(0x55, hashlib.sha512(b"").digest(), 0x13), "b"),
        "mixed-case": "bAFK" + cid_text(raw, "b")[4:],
        "base16": "f" + raw.hex(),
        "base64": "mAVUSI" + "A" * 43,
        "truncated": cid_text(raw, "b")[:-4],
        "cidv0-multibase": "z" + basex(b"\x12\x20" + sha, B58),
        "varint-non-minimal": b"\x80\x00",
        "varint-max": b"\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
    })


def layer_manifest_corpus():
    base = json.loads(MANIFEST)

    def variant(change):
        document = json.loads(MANIFEST)
        change(document)
        return canonical(document)

    def annotation(key, value):
        return lambda d: d["layer"]["annotations"].__setitem__(key, value)

    cid_key, fs_key = "io.ocipfs.layer.ipfs.cid", "io.ocipfs.layer.fs.digest"
    write("fuzz_layer_manifest", {
        "valid": MANIFEST,
        "valid-pretty": json.dumps(base, indent=2),
        "valid-platform": ARM,
        "valid-docker-type": variant(lambda d: d["layer"].__setitem__(
            "mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip")),
        "valid-zstd-size-max": variant(lambda d: d["layer"].update(
            mediaType="application/vnd.oci.image.layer.v1.tar+zstd", size=2**53 - 1)),
        "valid-bare-cid-v1-root": variant(annotation(cid_key, MANIFEST_CID)),
        "valid-encoded-segments": variant(annotation(cid_key, LAYER_DIR_CID + "/a b/%41/é.tar")),
        "valid-unknown-fields": variant(lambda d: d.update(extra=[1, {"x": None}], annotations={})),
        "valid-dag-pb-block": unixfs_file_block(MANIFEST.encode()),
        "size-too-large": variant(lambda d: d["layer"].__setitem__("size", 2**53)),
        "size-negative": variant(lambda d: d["layer"].__setitem__("size", -1)),
        "size-float": variant(lambda d: d["layer"].__setitem__("size", 1.5)),
        "digest-uppercase": variant(lambda d: d["layer"].__setitem__("digest", LAYER_DIGEST.upper())),
        "fs-digest-missing": variant(lambda d: d["layer"]["annotations"].pop(fs_key)),
        "media-type-wrong": variant(lambda d: d.__setitem__("mediaType", "application/json")),
        "path-dot-dot": variant(annotation(cid_key, LAYER_DIR_CID + "/../etc/passwd")),
        "path-url": variant(annotation(cid_key, "https://ipfs.io/ipfs/" + LAYER_DIR_CID)),
        "path-control": variant(annotation(cid_key, LAYER_DIR_CID + "/a\u0001b")),
        "platform-uppercase": variant(lambda d: d.__setitem__(
            "platform", {"os": "Linux", "architecture": "amd64"})),
        "not-an-object": "[" * 64 + "]" * 64,
    })


def route_corpus():
    name = "/v2/layer/" + MANIFEST_CID
    write("fuzz_route", {
        "base": "GET /v2/",
        "base-head": "HEAD /v2",
        "manifest-tag-docker": f"HEAD {name}/manifests/latest\n" + ", ".join(DOCKER_ACCEPT),
        "manifest-tag-base36": f"GET /v2/layer/{MANIFEST_CID_36}/manifests/hello.tar.gz\n"
                               "application/vnd.oci.image.manifest.v1+json",
        "manifest-digest": f"GET {name}/manifests/{ROUTE_IMAGE['manifests'][0]}\n*/*",
        "manifest-not-modified": f"GET {name}/manifests/latest\n\nW/\"{ROUTE_IMAGE['index']}\", x",
        "blob-layer": f"GET {name}/blobs/{LAYER_DIGEST}",
        "blob-layer-head": f"HEAD {name}/blobs/{LAYER_DIGEST}",
        "blob-config": f"GET {name}/blobs/{ROUTE_IMAGE['configs'][0]}",
        "tags-list-paged": f"GET {name}/tags/list?n=1&last=hello",
        "referrers": f"GET {name}/referrers/{ROUTE_IMAGE['index']}",
        "post-upload": f"POST {name}/blobs/uploads/",
        "delete": f"DELETE {name}/manifests/latest",
        "name-unknown": "GET /v2/library/ubuntu/manifests/latest",
        "name-cidv0": f"GET /v2/layer/{LAYER_DIR_CID}/manifests/latest",
        "digest-invalid": f"GET {name}/manifests/sha256:totallywrong",
        "tag-invalid": f"GET {name}/manifests/.INVALID_MANIFEST_NAME",
        "blob-md5": f"GET {name}/blobs/md5:d41d8cd98f00b204e9800998ecf8427e",
        "identity-name": "GET /v2/layer/bafkqaaa/tags/list",
        "not-registry": "GET /healthz",
    })


def request(method, target, headers=(), body=""):
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1:5000"]
    lines += [f"{key}: {value}" for key, value in headers]
    return "\r\n".join(lines) + "\r\n\r\n" + body


def handler_corpus():
    name = "/v2/layer/" + MANIFEST_CID
    docker_agent = ("docker/20.10.24+dfsg1 go/go1.19.8 git-commit/5d6db84 kernel/6.1.0 os/linux "
                    "arch/amd64 UpstreamClient(Docker-Client/20.10.24+dfsg1 \\(linux\\))")
    docker = [("User-Agent", docker_agent)]
    buildkit = [("User-Agent", "containerd/1.6.20~ds1")]
    skopeo = [("User-Agent", "skopeo/1.9.3"), ("Docker-Distribution-Api-Version", "registry/2.0"),
              ("Accept-Encoding", "gzip")]
    arm_cid = raw_cid(ARM, "k")
    write("fuzz_handler", {
        "docker-base": request("GET", "/v2/", docker + [("Accept-Encoding", "gzip")]),
        "docker-head-manifest": request("HEAD", f"{name}/manifests/hello.tar.gz",
                                        docker + [("Accept", a) for a in DOCKER_ACCEPT]),
        "docker-pull-sequence": request("GET", f"{name}/manifests/{IMAGE['index']}",
                                        docker + [("Accept", a) for a in DOCKER_ACCEPT]) +
                                request("GET", f"{name}/blobs/{IMAGE['configs'][0]}", docker) +
                                request("GET", f"{name}/blobs/{LAYER_DIGEST}", docker),
        "buildkit-head-by-digest": request("HEAD", f"{name}/manifests/{IMAGE['manifests'][1]}",
                                           buildkit + [("Accept", BUILDKIT_ACCEPT)]),
        "buildkit-base36-platform": request("HEAD", f"/v2/layer/{arm_cid}/manifests/v1.0",
                                            buildkit + [("Accept", BUILDKIT_ACCEPT)]),
        "skopeo-tags-list": request("GET", f"{name}/tags/list?n=1", skopeo),
        "podman-dag-pb": request("GET", f"/v2/layer/{dag_pb_cid(FILE_BLOCK)}/manifests/latest",
                                 [("User-Agent", "containers/5.23.1 (github.com/containers/image)"),
                                  ("Accept", CONTAINERS_ACCEPT)]),
        "not-modified": request("GET", f"{name}/manifests/{IMAGE['index']}",
                                [("If-None-Match", f'"{IMAGE["index"]}"')]),
        "invalid-manifest": request("GET", f"/v2/layer/{raw_cid('{}')}/manifests/latest"),
        "gateway-broken": request("GET", f"/v2/layer/{raw_cid('broken')}/manifests/latest"),
        "gateway-lies": request("GET", f"/v2/layer/{raw_cid('liar')}/manifests/latest"),
        "unknown-cid": request("GET", f"/v2/layer/{raw_cid('nothing')}/tags/list"),
        "identity-cid": request("GET", "/v2/layer/bafkqaaa/manifests/latest"),
        "http10-keep-alive": f"GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                             f"HEAD {name}/blobs/{LAYER_DIGEST} HTTP/1.0\r\n\r\n",
        "post-with-body": request("POST", f"{name}/blobs/uploads/",
                                  [("Content-Length", "4")], "abcd"),
        "get-chunked-body": request("GET", "/v2/", [("Transfer-Encoding", "chunked")],
                                    "4\r\nabcd\r\n0\r\n\r\n"),
        "connection-close": request("GET", f"{name}/referrers/{LAYER_DIGEST}",
                                    [("Connection", "close")]) + request("GET", "/v2/"),
        "operational": request("GET", "/healthz") + request("HEAD", "/readyz") +
                       request("GET", "/metrics"),
        "absolute-form": "GET http://127.0.0.1:5000/v2/ HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n\r\n",
        "malformed": "GET /v2/ HTTP/9.9\r\nHost\r\n\r\n",
    })


def response(status, reason, headers=(), body="", version="HTTP/1.1"):
    lines = [f"{version} {status} {reason}"] + [f"{key}: {value}" for key, value in headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (body if isinstance(body, bytes) else body.encode())


def gateway_corpus():
    immutable = ("Cache-Control", "public, max-age=29030400, immutable")

    def ok(body, content_type="text/plain; charset=utf-8"):
        body = body if isinstance(body, bytes) else body.encode()
        return response(200, "OK", [("Content-Type", content_type), immutable,
                                    ("Content-Length", str(len(body)))], body)

    chunked = MANIFEST[:100], MANIFEST[100:]
    write("fuzz_gateway_response", {
        "file": ok(MANIFEST),
        "file-dag-pb": ok(FILE),
        "raw-block": ok(MANIFEST, "application/vnd.ipld.raw"),
        "raw-block-dag-pb": ok(FILE_BLOCK, "application/vnd.ipld.raw"),
        "chunked": response(200, "OK", [("Transfer-Encoding", "chunked")],
                            "".join(f"{len(c):x}\r\n{c}\r\n" for c in chunked) + "0\r\n\r\n"),
        "close-delimited": response(200, "OK", [("Connection", "close")], MANIFEST, "HTTP/1.0"),
        "redirect-relative": response(302, "Found", [("Location", "/redirected"),
                                                     ("Content-Length", "0")]),
        "redirect-loop": response(307, "Temporary Redirect", [("Location", "/ipfs/loop"),
                                                              ("Content-Length", "0")]),
        "redirect-refused": response(301, "Moved Permanently",
                                     [("Location", "http://127.0.0.1:1/ipfs/x"),
                                      ("Content-Length", "0")]),
        "redirect-ftp": response(308, "Permanent Redirect", [("Location", "ftp://example/x"),
                                                             ("Content-Length", "0")]),
        "redirect-no-location": response(302, "Found", [("Content-Length", "0")]),
        "not-found": response(404, "Not Found", [("Content-Length", "9")], "not found"),
        "gone": response(410, "Gone", [("Content-Length", "0")]),
        "rate-limited": response(429, "Too Many Requests", [("Retry-After", "30"),
                                                            ("Content-Length", "0")]),
        "gateway-timeout": response(504, "Gateway Timeout", [("Content-Length", "0")]),
        "too-large": response(200, "OK", [("Content-Length", "2000000")], "{"),
        "truncated": response(200, "OK", [("Content-Length", "1000")], MANIFEST[:50]),
        "mismatch": ok(MANIFEST.replace("1234", "4321")),
        "continue-then-ok": b"HTTP/1.1 100 Continue\r\n\r\n" + ok(MANIFEST),
        "not-http": "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
    })


# CARv1 (ipld.io/specs/transport/car/carv1), written as src/formats/car.cpp writes it: DAG-CBOR heads in
# their shortest form, header keys "roots" then "version", CIDv0 as its bare multihash.
def cbor_head(major, value):
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError(value)


def cbor_text(text):
    return cbor_head(3, len(text)) + text.encode()


def car_header(roots, version=1):
    links = b"".join(cbor_head(6, 42) + cbor_head(2, len(root) + 1) + b"\0" + root
                     for root in roots)
    body = (cbor_head(5, 2) + cbor_text("roots") + cbor_head(4, len(roots)) + links +
            cbor_text("version") + cbor_head(0, version))
    return varint(len(body)) + body


def car_section(cid, block):
    return varint(len(cid) + len(block)) + cid + block


def sha256_cid(codec, block):
    return cid_bytes(codec, hashlib.sha256(block).digest())


def v0_cid(block):
    return b"\x12\x20" + hashlib.sha256(block).digest()


def dag_pb_directory(entries):
    def field_bytes(number, payload):
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    links = b"".join(
        field_bytes(2, field_bytes(1, cid) + field_bytes(2, name.encode()) + varint(3 << 3) +
                    varint(size)) for name, cid, size in entries)
    return links + field_bytes(1, b"\x08\x01")


def car_corpus():
    hello = b"hello world"
    hello_cid = sha256_cid(0x55, hello)
    leaf_cid = v0_cid(FILE_BLOCK)
    directory = dag_pb_directory([("hello.txt", hello_cid, len(hello)),
                                  ("file", leaf_cid, len(FILE_BLOCK))])
    directory_cid = sha256_cid(0x70, directory)
    identity = cid_bytes(0x55, b"id", 0x00)
    empty = cid_bytes(0x55, b"", 0x00)  # bafkqaaa
    one_block = car_header([hello_cid]) + car_section(hello_cid, hello)
    write("fuzz_car", {
        "one-raw-block": one_block,
        "header-only": car_header([hello_cid]),
        "no-roots": car_header([]),
        "cidv0-root": car_header([leaf_cid]) + car_section(leaf_cid, FILE_BLOCK),
        "directory": car_header([directory_cid]) + car_section(directory_cid, directory) +
                     car_section(hello_cid, hello) + car_section(leaf_cid, FILE_BLOCK),
        "identity-blocks": car_header([identity, empty]) + car_section(identity, b"id") +
                           car_section(empty, b""),
        "wrong-block": car_header([hello_cid]) + car_section(hello_cid, b"hello there"),
        "truncated": one_block[:-3],
        "version-2": car_header([hello_cid], 2),
        "dag-cbor-block": car_header([]) + car_section(sha256_cid(0x71, b"\xa0"), b"\xa0"),
        "non-minimal-length": car_header([]) + b"\xaf\x00" + car_section(hello_cid, hello)[1:],
    })


def byte_ranges_corpus():
    """A layer size (two bytes, little-endian; 0xff second: near 2^64), a piece size byte, then
    the Range value, a newline and the If-Range value, as lazy pullers and hostile clients send."""
    def case(size, piece, range_value, if_range=b""):
        head = bytes([size & 0xff, (size >> 8) & 0xff, piece])
        return head + range_value + (b"\n" + if_range if if_range else b"")
    etag = b'"sha256:0123"'
    write("fuzz_byte_ranges", {
        "one-range": case(10000, 3, b"bytes=0-99"),
        "suffix": case(10000, 0, b"bytes=-500"),
        "open-ended": case(10000, 1, b"bytes=9000-"),
        "several": case(60000, 2, b"bytes=2000-2999, 0-9,59990-"),
        "overlapping": case(5000, 4, b"bytes=0-99,50-149,150-200"),
        "unsatisfiable": case(100, 0, b"bytes=100-"),
        "empty-layer": case(0, 0, b"bytes=-1"),
        "if-range-matches": case(1000, 0, b"bytes=0-9", etag),
        "if-range-other": case(1000, 0, b"bytes=0-9", b'"sha256:other"'),
        "weak-if-range": case(1000, 0, b"bytes=0-9", b'W/"sha256:0123"'),
        "huge-layer": bytes([7, 0xff, 0]) + b"bytes=0-0,18446744073709551600-",
        "beyond-2-64": case(1000, 0, b"bytes=0-18446744073709551616"),
        "other-unit": case(1000, 0, b"items=0-9"),
        "many-specs": case(65535, 9, b"bytes=" + b",".join(b"%d-%d" % (i * 10, i * 10 + 4) for i in range(120))),
    })


def unixfs_walk_corpus():
    """A chunk size, a fan-out, a range, a fault and the block it hits, then the file's bytes."""
    def content(n, seed):
        out, x = bytearray(), seed
        for _ in range(n):
            x = (x * 1103515245 + 12345) % 2**31
            out.append(x >> 16 & 0xff)
        return bytes(out)
    write("fuzz_unixfs_walk", {
        "whole-file-one-level": bytes([15, 6, 0, 255, 0, 0]) + content(300, 1),
        "range-deep-dag": bytes([7, 0, 40, 60, 0, 0]) + content(1500, 2),
        "open-range": bytes([31, 2, 128, 255, 0, 0]) + content(2000, 3),
        "one-byte-range": bytes([3, 1, 100, 0, 0, 0]) + content(700, 4),
        "a-block-left-out": bytes([7, 3, 10, 50, 1, 3]) + content(1000, 5),
        "a-block-twice": bytes([11, 2, 0, 255, 2, 5]) + content(900, 6),
        "two-blocks-swapped": bytes([5, 4, 30, 90, 3, 7]) + content(1200, 7),
        "another-block": bytes([9, 5, 0, 255, 4, 9]) + content(1600, 8),
        "repeated-chunks": bytes([3, 0, 0, 255, 1, 2]) + b"abcd" * 100,
        "one-chunk": bytes([63, 0, 0, 255, 4, 0]) + content(40, 9),
    })


if __name__ == "__main__":
    cid_corpus()
    layer_manifest_corpus()
    route_corpus()
    handler_corpus()
    gateway_corpus()
    car_corpus()
    byte_ranges_corpus()
    unixfs_walk_corpus()
    print("manifest cid", MANIFEST_CID, MANIFEST_CID_36)
    print("index", IMAGE["index"])
