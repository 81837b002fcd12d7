#!/usr/bin/env bash
# The schemas against a sample of every document kind, every optional part filled (no root needed).
# usage: check_samples.sh SAMPLE_DOCUMENTS_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1" "$dir"
/usr/bin/python3 "$here/validate.py" "$here/../../schemas" "$dir"/*
