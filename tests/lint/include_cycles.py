#!/usr/bin/env python3
"""Fails when the concepts of include/ocipfs and src include each other in a loop.

A concept is a header and its source file (route.hpp and route.cpp are "route"); an edge is an
#include "..." in either. Usage: include_cycles.py [REPO]"""
import pathlib
import re
import sys

repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def concept(path):
    return path.stem


def target(source, name):
    for base in (repo / "include", source.parent):
        candidate = (base / name).resolve()
        if candidate.exists():
            return candidate
    return None


edges = {}
for path in sorted(list((repo / "include/ocipfs").glob("*.hpp")) + list((repo / "src").glob("*.[ch]pp"))):
    node = edges.setdefault(concept(path), set())
    for name in include.findall(path.read_text()):
        found = target(path, name)
        if found and concept(found) != concept(path):
            node.add(concept(found))

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
print(f"include_cycles: {len(edges)} concepts, {sum(map(len, edges.values()))} edges, "
      f"{len(cycles)} cycles")
sys.exit(1 if cycles else 0)
