#!/usr/bin/env python3
"""Fails when the README is not ordered for its readers, or its links lead nowhere.

The README opens with a Contents list of three parts, in this order: "Using it", "Running it",
"How it is made". Each part links its top-level (##) sections; together they link every section,
in the order the sections come. Every in-page link (#anchor) names a heading, by GitHub's rule
(lowercase, punctuation dropped, spaces to hyphens). Usage: readme_order.py [REPO]"""
import pathlib
import re
import sys

PARTS = ["Using it", "Running it", "How it is made"]

repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
text = (repo / "README.md").read_text()
body = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # headings in code blocks are not


def anchor(heading):
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


problems = []
sections = re.findall(r"^## (.+)$", body, re.M)
anchors = {anchor(h) for h in re.findall(r"^#{1,6} (.+)$", body, re.M)}
contents = re.search(r"^Contents:\n\n((?:[-\s].*\n)+)", body, re.M)
if not contents:
    problems.append('no "Contents:" list at the top')
else:
    parts = re.split(r"^- ", contents.group(1), flags=re.M)[1:]
    names = [part.split(":", 1)[0] for part in parts]
    if names != PARTS:
        problems.append(f"the Contents parts are {names}, not {PARTS}")
    listed = [link for part in parts for link in re.findall(r"\]\(#([^)]+)\)", part)]
    expected = [anchor(h) for h in sections]
    if listed != expected:
        missing = [a for a in expected if a not in listed]
        problems.append("the Contents do not list the sections in their order" +
                        (f" (missing: {', '.join(missing)})" if missing else ""))
for link in re.findall(r"\]\(#([^)]+)\)", body):
    if link not in anchors:
        problems.append(f"the link #{link} names no heading")

for problem in problems:
    print(f"README.md: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"readme_order: {len(sections)} sections, in the Contents' order")
