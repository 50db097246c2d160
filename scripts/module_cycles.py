#!/usr/bin/env python3
"""Fails when the modules of a workspace crate import each other in a loop.

A crate's modules should form a tree or a DAG: `a` may use `b` or `b` may use `a`, not
both (through any chain). A parent and its own children are one unit here (a child using
its parent's items, and the parent calling into its children, is how Rust modules are
built), so only references between modules where neither contains the other count.

References are read from `use` lines and paths in the code (`crate::x::y`, `super::x`,
`self::x`), resolved to the deepest module that exists. Usage:

    python3 scripts/module_cycles.py            # every crate of the workspace
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = {
    "ferry": ROOT / "src",
    **{p.parent.name: p for p in ROOT.glob("*/src") if (p.parent / "Cargo.toml").exists()},
}


def modules(src: Path) -> dict[tuple, Path]:
    """Module path (tuple of names) -> file, for every .rs file under src."""
    out = {}
    for f in src.rglob("*.rs"):
        rel = f.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] in ("mod", "lib", "main"):
            parts = parts[:-1]
        out[tuple(parts)] = f
    return out


PATH = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def references(text: str):
    for m in PATH.finditer(text):
        yield m.group(1).split("::")
    for m in USE_GROUP.finditer(text):
        base = m.group(1).split("::")
        for item in re.split(r"[,\s]+", re.sub(r"\{[^}]*\}", "", m.group(2))):
            name = item.split("::")[0].strip()
            if name and name != "self":
                yield base + [name]


def resolve(mod: tuple, path: list, known: dict) -> tuple | None:
    cur = list(mod)
    i = 0
    if path[0] == "crate":
        cur, i = [], 1
    while i < len(path) and path[i] in ("super", "self"):
        if path[i] == "super":
            cur = cur[:-1]
        i += 1
    if path[0] == "super":
        cur = list(mod)[:-1]
        i = 1
        while i < len(path) and path[i] == "super":
            cur = cur[:-1]
            i += 1
    best = tuple(cur)
    for name in path[i:]:
        cand = best + (name,)
        if cand in known:
            best = cand
        else:
            break
    return best


def contains(a: tuple, b: tuple) -> bool:
    return b[: len(a)] == a


def cycles(src: Path) -> list[list[tuple]]:
    known = modules(src)
    edges: dict[tuple, set] = {m: set() for m in known}
    for mod, f in known.items():
        text = re.sub(r"//[^\n]*", "", f.read_text())
        for path in references(text):
            target = resolve(mod, path, known)
            if target is None or contains(mod, target) or contains(target, mod):
                continue
            edges[mod].add(target)
    # Lift edges to the pair of sibling subtrees they cross, then look for a loop.
    lifted: dict[tuple, set] = {}
    for a, targets in edges.items():
        for b in targets:
            n = 0
            while n < min(len(a), len(b)) and a[n] == b[n]:
                n += 1
            lifted.setdefault(a[: n + 1], set()).add(b[: n + 1])
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(lifted.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(lifted):
        if node not in state:
            visit(node)
    return found


def main() -> int:
    bad = 0
    for name, src in sorted(CRATES.items()):
        for cycle in cycles(src):
            bad += 1
            print(f"{name}: import loop " + " -> ".join("::".join(m) or "crate" for m in cycle))
    if bad:
        print(f"{bad} import loop(s); see the module arrows in ARCHITECTURE.md")
        return 1
    print(f"no import loops in {len(CRATES)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
