#!/bin/bash
# Builds the Debian packages subu and libpam-subu into build-deb/ (as root on Debian 12: installs the
# build dependencies named in debian/control first) and checks them with lintian.
# Environment: DEB_BUILD_OPTIONS (default "nocheck parallel=2": the unit tests are run by ctest).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD
OUT=$ROOT/build-deb

tools=(dpkg-dev debhelper devscripts equivs lintian)
missing=()
for p in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
if ((${#missing[@]})); then
    echo "Installing the packaging tools: ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The build dependencies: satisfied already, or installed through a dummy package made from debian/control.
if ! dpkg-checkbuilddeps 2>/dev/null; then
    echo "Installing the build dependencies of debian/control"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && mk-build-deps "$ROOT/debian/control")
    apt-get install -y -q --no-install-recommends "$tmp"/subu-build-deps_*.deb
    apt-get purge -y -q subu-build-deps
fi

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=2}
dpkg-buildpackage -us -uc -b
# dpkg-buildpackage writes into the parent directory: the results move into build-deb/.
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
rm -rf "$OUT"
mkdir -p "$OUT"
for f in subu_"$version"_"$arch".deb subu-dbgsym_"$version"_"$arch".deb libpam-subu_"$version"_"$arch".deb \
         libpam-subu-dbgsym_"$version"_"$arch".deb subu_"$version"_"$arch".buildinfo subu_"$version"_"$arch".changes; do
    [[ -e ../$f ]] && mv "../$f" "$OUT/"
done
debian/rules clean >/dev/null
echo "# lintian"
lintian --fail-on error,warning --info "$OUT"/subu_"$version"_"$arch".changes
ls -l "$OUT"
