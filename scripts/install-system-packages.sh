#!/usr/bin/env bash
# Installs the Debian packages listed in system-packages.txt that are not installed yet.
set -euo pipefail
list="$(dirname "$0")/system-packages.txt"
missing=()
while read -r package _; do
    [ -z "$package" ] || [ "${package:0:1}" = "#" ] && continue
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done < "$list"
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
