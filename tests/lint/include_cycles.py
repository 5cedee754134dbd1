#!/usr/bin/env python3
"""Fails when concepts include each other in a loop, or a folder includes one above it.

A concept is a header and its source file (include/ocipfs/http/route.hpp and src/http/route.cpp
are "http/route"); an edge is an #include "..." in either. A folder (src/<folder>/ and
include/ocipfs/<folder>/) is one library of src/CMakeLists.txt and may include only the folders
below it, as LAYERS says. Usage: include_cycles.py [REPO]"""
import pathlib
import re
import sys

repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# Each folder and the folders it may include (src/CMakeLists.txt links them so).
LAYERS = {
    "base": [],
    "formats": ["base"],
    "image": ["formats", "base"],
    "http": ["image", "formats", "base"],
    "cache": ["image", "formats", "base"],
    "registry": ["cache", "http", "image", "formats", "base"],
    "gateway": ["cache", "http", "image", "formats", "base"],
    "server": ["registry", "gateway", "cache", "http", "image", "formats", "base"],
    "publish": ["http", "image", "formats", "base"],
}
LAYERS["cli"] = list(LAYERS)
LAYERS["."] = list(LAYERS)  # the two mains


def concept(path):
    for root in (repo / "include/ocipfs", repo / "src"):
        if root in path.parents:
            return path.relative_to(root).with_suffix("").as_posix()
    return path.stem


def folder(name):
    return name.split("/")[0] if "/" in name else "."


def target(source, name):
    for base in (repo / "include", source.parent):
        candidate = (base / name).resolve()
        if candidate.exists():
            return candidate
    return None


edges = {}
sources = sorted(list((repo / "include/ocipfs").rglob("*.hpp")) + list((repo / "src").rglob("*.[ch]pp")))
for path in sources:
    node = edges.setdefault(concept(path), set())
    for name in include.findall(path.read_text()):
        found = target(path, name)
        if found and concept(found) != concept(path):
            node.add(concept(found))

upward = [(a, b) for a in sorted(edges) for b in sorted(edges[a])
          if folder(a) != folder(b) and folder(b) not in LAYERS.get(folder(a), [])]
unknown = sorted({folder(a) for a in edges} - set(LAYERS))

cycles = []
state = {}


def visit(node, stack):
    state[node] = "open"
    stack.append(node)
    for nxt in sorted(edges.get(node, ())):
        if state.get(nxt) == "open":
            cycles.append(stack[stack.index(nxt):] + [nxt])
        elif nxt not in state:
            visit(nxt, stack)
    stack.pop()
    state[node] = "done"


for node in sorted(edges):
    if node not in state:
        visit(node, [])
for cycle in cycles:
    print("include cycle: " + " -> ".join(cycle))
for a, b in upward:
    print(f"layering: {a} includes {b}, but {folder(a)}/ may include only {', '.join(LAYERS[folder(a)]) or 'nothing'}")
for name in unknown:
    print(f"layering: the folder {name}/ is not in LAYERS")
print(f"include_cycles: {len(edges)} concepts, {sum(map(len, edges.values()))} edges, "
      f"{len(cycles)} cycles, {len(upward)} includes across layers the wrong way")
sys.exit(1 if cycles or upward or unknown else 0)
