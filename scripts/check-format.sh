#!/usr/bin/env bash
# Fails when our C++ sources differ from what clang-format (.clang-format) makes of them, when a test
# suite is not named after its file (foo_bar_test.cpp holds FooBar or FooBar<More> suites), so that a
# failing test's name says where it lives, or when shellcheck warns about a script.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'userspace/*.cpp' 'userspace/*.h' 'tests/*.cpp' 'tests/*.h')
bad=0
for f in "${files[@]}"; do
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then
    echo "check-format: $f is not clang-formatted (run: clang-format -i $f)" >&2
    bad=1
  fi
done
for f in $(git ls-files 'tests/*_test.cpp'); do
  stem=$(basename "$f" _test.cpp)
  prefix=$(sed -E 's/(^|_)([a-z])/\U\2/g' <<<"$stem")
  while read -r suite; do
    case $suite in
      "$prefix"*) ;;
      *)
        echo "check-format: $f: test suite $suite is not named after its file (want $prefix...)" >&2
        bad=1
        ;;
    esac
  done < <(sed -nE 's/^TEST(_F|_P)?\(([A-Za-z0-9_]+),.*/\2/p' "$f" | sort -u)
done
# our shell scripts: no warnings from shellcheck
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
if ! shellcheck -S warning "${scripts[@]}"; then
  echo "check-format: shellcheck warns about the scripts above" >&2
  bad=1
fi
exit $bad
