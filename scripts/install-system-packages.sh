#!/usr/bin/env bash
# Installs the Debian packages named as arguments (by default those listed in
# system-packages.txt) that are not installed yet.
set -euo pipefail
if [ $# -gt 0 ]; then
    wanted=("$@")
else
    wanted=()
    while read -r package _; do
        [ -z "$package" ] || [ "${package:0:1}" = "#" ] && continue
        wanted+=("$package")
    done < "$(dirname "$0")/system-packages.txt"
fi
missing=()
for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "These system packages are missing and this system has no apt-get: ${missing[*]}" >&2
    exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "Installing ${missing[*]} with apt-get ..."
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
