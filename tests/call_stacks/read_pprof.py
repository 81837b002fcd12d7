#!/usr/bin/python3
"""Reads a pprof profile written by zctrace --stacks, with protoc's decoder rather than zctrace's encoder.

usage: read_pprof.py PROFILE.pb.gz [--folded]

Compiles profile.proto (next to this script) with `protoc --python_out` into a temporary directory,
gunzips and parses the profile, and checks its structure: string_table[0] is "", every string index, and
every location, mapping and function id a profile refers to, exists; every sample has one value per
sample type. Then prints one JSON object:

  {"sample_types": [[type, unit], ...], "totals": {type: sum},
   "stacks": [{"frames": [name, ... root first], "values": {type: value}, "labels": {key: value}}]}

With --folded it prints the folded stacks it reconstructs instead, as zctrace's folded output has them
(comm first, the path label in brackets last, counted in cpu_copied_bytes, zero counts left out, equal
lines merged, sorted), so that a test can diff the two.

Exits 1 with a message on a structural error, 2 on a usage error, 77 when this machine cannot run it
(no protoc, or no Python protobuf module).
"""
import argparse
import gzip
import importlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

PROTO = pathlib.Path(__file__).resolve().parent / "profile.proto"
CANNOT_RUN_HERE = 77


class StructureError(Exception):
    pass


def load_profile_module(workdir):
    """The module protoc generates from profile.proto, imported from workdir."""
    protoc = shutil.which("protoc")
    if protoc is None:
        print("read_pprof.py: protoc not found (Debian: protobuf-compiler)", file=sys.stderr)
        sys.exit(CANNOT_RUN_HERE)
    try:
        importlib.import_module("google.protobuf")
    except ImportError:
        print("read_pprof.py: no Python protobuf module (Debian: python3-protobuf)", file=sys.stderr)
        sys.exit(CANNOT_RUN_HERE)
    compiled = subprocess.run(
        [protoc, f"--proto_path={PROTO.parent}", f"--python_out={workdir}", PROTO.name],
        capture_output=True, text=True)
    if compiled.returncode != 0:
        raise StructureError(f"protoc cannot compile {PROTO}: {compiled.stderr.strip()}")
    sys.path.insert(0, str(workdir))
    return importlib.import_module(PROTO.stem + "_pb2")


def parse(path, profile_module):
    raw = pathlib.Path(path).read_bytes()
    if raw[:2] != b"\x1f\x8b":
        raise StructureError(f"{path}: not gzip-compressed")
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError) as error:
        raise StructureError(f"{path}: gzip: {error}") from error
    profile = profile_module.Profile()
    try:
        profile.ParseFromString(data)
    except Exception as error:  # the decoder's own DecodeError, whose module path differs between versions
        raise StructureError(f"{path}: not a Profile message: {error}") from error
    return profile


def check(profile):
    """Raises StructureError on the first thing a pprof reader would trip over."""
    strings = profile.string_table
    if not strings or strings[0] != "":
        raise StructureError('string_table[0] is not ""')

    def string_index(value, what):
        if not 0 <= value < len(strings):
            raise StructureError(f"{what}: string index {value} outside the table of {len(strings)}")

    def unique_ids(messages, kind):
        ids = {}
        for message in messages:
            if message.id == 0:
                raise StructureError(f"a {kind} with id 0")
            if message.id in ids:
                raise StructureError(f"two {kind}s with id {message.id}")
            ids[message.id] = message
        return ids

    for number, value_type in enumerate(profile.sample_type):
        string_index(value_type.type, f"sample_type[{number}].type")
        string_index(value_type.unit, f"sample_type[{number}].unit")
    string_index(profile.period_type.type, "period_type.type")
    string_index(profile.period_type.unit, "period_type.unit")
    string_index(profile.default_sample_type, "default_sample_type")

    mappings = unique_ids(profile.mapping, "mapping")
    for mapping in profile.mapping:
        string_index(mapping.filename, f"mapping {mapping.id} filename")
        string_index(mapping.build_id, f"mapping {mapping.id} build_id")
    functions = unique_ids(profile.function, "function")
    for function in profile.function:
        for field in ("name", "system_name", "filename"):
            string_index(getattr(function, field), f"function {function.id} {field}")
    locations = unique_ids(profile.location, "location")
    for location in profile.location:
        if location.mapping_id and location.mapping_id not in mappings:
            raise StructureError(f"location {location.id}: no mapping {location.mapping_id}")
        for line in location.line:
            if line.function_id not in functions:
                raise StructureError(f"location {location.id}: no function {line.function_id}")

    for number, sample in enumerate(profile.sample):
        if len(sample.value) != len(profile.sample_type):
            raise StructureError(f"sample {number}: {len(sample.value)} values for "
                                 f"{len(profile.sample_type)} sample types")
        for location_id in sample.location_id:
            if location_id not in locations:
                raise StructureError(f"sample {number}: no location {location_id}")
        for label in sample.label:
            string_index(label.key, f"sample {number} label key")
            string_index(label.str, f"sample {number} label str")
    return mappings, functions, locations


def location_names(location, mappings, functions, strings):
    """The location's frame names, the caller first (pprof lists inlined functions innermost first)."""
    if location.line:
        return [strings[functions[line.function_id].name] for line in reversed(location.line)]
    mapping = mappings.get(location.mapping_id)
    if mapping is not None and mapping.memory_start:
        offset = location.address - mapping.memory_start + mapping.file_offset
        return [f"{os.path.basename(strings[mapping.filename])}+{offset:#x}"]
    return [f"{location.address:#x}"]


def read(profile):
    mappings, functions, locations = check(profile)
    strings = profile.string_table
    types = [strings[value_type.type] for value_type in profile.sample_type]
    result = {
        "sample_types": [[strings[t.type], strings[t.unit]] for t in profile.sample_type],
        "totals": {name: 0 for name in types},
        "stacks": [],
    }
    for sample in profile.sample:
        frames = []
        for location_id in reversed(sample.location_id):  # pprof lists the leaf first
            frames += location_names(locations[location_id], mappings, functions, strings)
        labels = {}
        for label in sample.label:  # as pprof reads them: a string, else a number, else nothing
            if label.str:
                labels[strings[label.key]] = strings[label.str]
            elif label.num:
                labels[strings[label.key]] = label.num
        values = dict(zip(types, sample.value))
        for name, value in values.items():
            result["totals"][name] += value
        result["stacks"].append({"frames": frames, "values": values, "labels": labels})
    return result


def folded_frame(name):
    return name.replace(";", ":").replace("\n", " ").replace("\r", " ")


def folded(read_profile):
    if ["cpu_copied_bytes", "bytes"] not in read_profile["sample_types"]:
        raise StructureError("no cpu_copied_bytes sample type")
    counts = {}
    for stack in read_profile["stacks"]:
        count = stack["values"]["cpu_copied_bytes"]
        if count == 0:
            continue
        labels = stack["labels"]  # an empty string label reads as no label
        frames = [str(labels.get("comm", ""))] + stack["frames"] + [f"[{labels.get('path', '')}]"]
        line = ";".join(folded_frame(frame) for frame in frames)
        counts[line] = counts.get(line, 0) + count
    return "".join(f"{line} {counts[line]}\n" for line in sorted(counts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--folded", action="store_true", help="print folded stacks instead of JSON")
    arguments = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="read_pprof.") as workdir:
            profile = parse(arguments.profile, load_profile_module(workdir))
        read_profile = read(profile)
        text = folded(read_profile) if arguments.folded else json.dumps(read_profile, ensure_ascii=False) + "\n"
    except (StructureError, OSError) as error:
        print(f"read_pprof.py: {error}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
