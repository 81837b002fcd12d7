#!/usr/bin/python3
"""Runs the examples in README.md and writes their real output there, or checks it has not drifted.

usage: readme-examples.py [--check] BUILD_DIR

An example is a fenced block between <!-- example --> and <!-- end example --> whose lines starting with
"$ " are commands: each is run (bash, as root, in a scratch directory, with BUILD_DIR's zctrace and
zctrace-workload first on PATH) and the block is rewritten as the commands followed by what they printed.
--check compares instead, with numbers, sizes and spacing set aside (pids, ports, timings and a page
the kernel reclaimed change from run to run; a changed line, option or message is drift), and exits 1
naming the first line that differs: run the script without --check and review the diff.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

START, END = "<!-- example -->", "<!-- end example -->"
FENCE = "```"


def examples(text):
    """(start, end) character offsets of each example's fenced block body, and its commands."""
    found = []
    at = 0
    while (begin := text.find(START, at)) >= 0:
        end = text.find(END, begin)
        if end < 0:
            raise SystemExit("README.md: an example is not closed with " + END)
        body_start = text.index("\n", text.index(FENCE, begin)) + 1
        body_end = text.rindex(FENCE, begin, end)
        commands = [l[2:] for l in text[body_start:body_end].splitlines() if l.startswith("$ ")]
        found.append((body_start, body_end, commands))
        at = end
    return found


def run(commands, build):
    env = dict(os.environ)
    env["PATH"] = f"{build}/userspace:{build}/userspace/workload:" + env["PATH"]
    env["COLUMNS"] = "120"
    out = []
    with tempfile.TemporaryDirectory() as scratch:
        for command in commands:
            done = subprocess.run(["bash", "-c", command], cwd=scratch, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=600)
            out.append("$ " + command)
            out.extend(done.stdout.rstrip("\n").splitlines())
    return "\n".join(out) + "\n"


NUMBER = re.compile(r"\d[\d,.]*(e[-+]?\d+)?( ?(B|KiB|MiB|GiB|TiB|ms|s)\b)?")


def shape(text):
    lines = []
    for line in text.splitlines():
        line = NUMBER.sub("N", line).replace(" (M)", "")
        lines.append(" ".join(line.split()))
    return lines


def main():
    args = sys.argv[1:]
    check = bool(args) and args[0] == "--check"
    if check:
        args = args[1:]
    if len(args) != 1:
        raise SystemExit(__doc__)
    if os.geteuid() != 0:
        print("SKIP: not root: the examples load BPF programs")
        sys.exit(77)
    build = pathlib.Path(args[0]).resolve()
    readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text()
    found = examples(text)
    if not found:
        raise SystemExit("README.md has no examples")
    # run in the order the README shows them (a later example may use what an earlier one made), then
    # put the outputs in from the end, so that the earlier offsets still hold
    outputs = [run(commands, build) for _, _, commands in found]
    new = text
    for (body_start, body_end, commands), output in reversed(list(zip(found, outputs))):
        if check:
            want, got = shape(text[body_start:body_end]), shape(output)
            for i in range(max(len(want), len(got))):
                w = want[i] if i < len(want) else "(nothing)"
                g = got[i] if i < len(got) else "(nothing)"
                if w != g:
                    print(f"README.md drifted from what zctrace prints: in the example of `{commands[-1]}`,"
                          f" line {i + 1}:\n  README: {w}\n  now:    {g}\n"
                          "run scripts/readme-examples.py BUILD_DIR and review the diff", file=sys.stderr)
                    sys.exit(1)
        new = new[:body_start] + output + new[body_end:]
    if check:
        print(f"readme-examples: {len(found)} examples in README.md match what zctrace prints")
    else:
        readme.write_text(new)
        print(f"readme-examples: {len(found)} examples written into README.md")


if __name__ == "__main__":
    main()
