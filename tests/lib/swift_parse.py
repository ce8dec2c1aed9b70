"""Checks that Swift files parse with tree-sitter-swift: exit 1 on any ERROR or MISSING node.

usage: swift_parse.py [--generated] FILE...

There is no Swift compiler on this machine kind; this is the strongest check available here. It
proves syntax only (not types). With --generated, two rewrites that keep the code's meaning are
applied first, each for a known gap of the tree-sitter-swift 0.7.4 grammar (valid Swift that the
grammar rejects) in UniFFI's generated code, and counted in the output:
  1. `#if swift(>=5.8)` / `@_documentation(visibility: private)` / `#endif` around a declaration:
     resolved the way a Swift >= 5.8 compiler does (the attribute stays, the directive lines go).
  2. `{ () }` (a closure returning the empty tuple): written as `{ Void() }`, the same value.
Hand-written Swift gets no rewrite at all.
"""
import re
import sys

import tree_sitter_swift
from tree_sitter import Language, Parser

DOC_ATTR = re.compile(
    r"^[ \t]*#if swift\(>=5\.8\)\n([ \t]*@_documentation\(visibility: private\)\n)[ \t]*#endif\n",
    re.M,
)
UNIT_CLOSURE = re.compile(r"\{ \(\) \}")


def rewrite_generated(src):
    src, n1 = DOC_ATTR.subn(lambda m: "\n" + m.group(1) + "\n", src)  # keeps line numbers
    src, n2 = UNIT_CLOSURE.subn("{ Void() }", src)
    return src, n1, n2


def error_nodes(tree):
    out, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            out.append(node)
        if node.has_error:
            stack.extend(node.children)
    return sorted(out, key=lambda n: n.start_point)


def main(argv):
    generated = "--generated" in argv
    files = [a for a in argv if a != "--generated"]
    if not files:
        print("swift_parse.py: no files given", file=sys.stderr)
        return 2
    parser = Parser(Language(tree_sitter_swift.language()))
    total = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            src = f.read()
        note = ""
        if generated:
            src, n1, n2 = rewrite_generated(src)
            note = f" (rewrites: {n1} #if-attribute, {n2} unit-closure)"
        data = src.encode("utf-8")
        errors = error_nodes(parser.parse(data))
        lines = src.splitlines()
        for node in errors[:20]:
            row, col = node.start_point
            kind = f"MISSING {node.type}" if node.is_missing else "ERROR"
            text = lines[row].strip()[:120] if row < len(lines) else ""
            print(f"{path}:{row + 1}:{col + 1}: {kind}: {text}")
        print(f"{path}: {len(lines)} lines, {len(errors)} error nodes{note}")
        total += len(errors)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
