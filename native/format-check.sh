#!/bin/sh
# Fails when a C or C++ file of the addon is not formatted per native/.clang-format (run by `npm run lint`).
# Fix with: clang-format -i native/*.c native/*.cpp native/*.h
set -eu
cd "$(dirname "$0")"
command -v clang-format >/dev/null 2>&1 || { echo "clang-format is missing (apt-get install clang-format)" >&2; exit 1; }
clang-format --style=file --dry-run -Werror ./*.c ./*.cpp ./*.h
