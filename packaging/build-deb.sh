#!/usr/bin/env bash
# Build the lienthong-agent .deb with dpkg-deb alone (no fpm, no debhelper).
#
#   packaging/build-deb.sh [OUTPUT_DIR]        default: packaging/out
#
# The package holds a self-contained virtualenv at /opt/lienthong-agent, built for the Debian
# release this runs on: the venv is bound to this machine's /usr/bin/python3.X (python3-venv
# needed to build; the package then depends on python3.X). Wheels come from pip's configured index.
#
# The virtualenv is created at its final path inside a staging root, then the few absolute paths
# that mention the staging root (script shebangs, activate scripts, pyvenv.cfg) are rewritten, and
# bytecode is compiled with the final paths. The build fails if any staging path is left.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="$(mkdir -p "${1:-$here/out}" && cd "${1:-$here/out}" && pwd)"
prefix=/opt/lienthong-agent
name=lienthong-agent

# The interpreter with its minor version, so that a later python3 -> python3.Y switch cannot
# silently break the compiled extensions in the venv.
python="$(readlink -f "${PYTHON:-/usr/bin/python3}")"
pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
version="$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$repo/pyproject.toml")"
arch="$(dpkg --print-architecture)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
venv="$root$prefix"

echo "==> virtualenv for Python $pyver at $prefix"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --no-compile --no-warn-script-location "$repo"

echo "==> relocating $venv to $prefix"
grep -rlI --null -F "$root" "$venv" | xargs -0 -r sed -i "s#$root##g"
if grep -rlI -F "$root" "$venv"; then
    echo "build-deb: staging paths left in the files above" >&2
    exit 1
fi
"$venv/bin/python" -m compileall -q -j 0 -s "$root" -p / "$venv/lib" >/dev/null

echo "==> system files"
install -D -m 0644 "$repo/systemd/$name.service" "$root/usr/lib/systemd/system/$name.service"
install -D -m 0644 "$repo/systemd/sysusers.d/$name.conf" "$root/usr/lib/sysusers.d/$name.conf"
install -D -m 0644 "$repo/systemd/tmpfiles.d/$name.conf" "$root/usr/lib/tmpfiles.d/$name.conf"
install -D -m 0640 "$repo/config/agent.example.yaml" "$root/etc/$name/agent.yaml"
install -D -m 0644 "$repo/config/agent.example.yaml" "$root/usr/share/doc/$name/agent.example.yaml"
install -D -m 0644 "$repo/docs/operations.md" "$root/usr/share/doc/$name/operations.md"
install -d "$root/usr/bin"
ln -s "$prefix/bin/$name" "$root/usr/bin/$name"

echo "==> control files"
install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do
    install -m 0755 "$here/debian/$script" "$root/DEBIAN/$script"
done
echo "/etc/$name/agent.yaml" > "$root/DEBIAN/conffiles"
installed_size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: lienthong-agent developers <maintainers@lienthong-agent.invalid>
Installed-Size: $installed_size
Depends: python$pyver, adduser | systemd
Recommends: systemd
Section: net
Priority: optional
Homepage: https://github.com/lienthong-agent/lienthong-agent
Description: connector to Vietnam's national document interchange axis
 lienthong-agent links an agency's document management system (QLVB&ĐH) to
 the national document interchange axis (Trục liên thông văn bản quốc gia):
 it sends the documents the DMS drops in a folder, signed, and delivers the
 documents and receipts it receives, verified. A self-contained virtualenv
 in $prefix, a hardened systemd unit and an example configuration.
CONTROL

deb="$out/${name}_${version}_${arch}.deb"
# zstd: built in about a second (xz takes a minute for ~130 MB); dpkg reads it since Debian 12,
# the oldest release this package can target anyway (python3.11). DEB_COMPRESSION=xz for smaller.
dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-zstd}" --build "$root" "$deb" >/dev/null
echo "$deb"
