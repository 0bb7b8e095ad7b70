#!/bin/sh
# Install the independent programs the tests use as oracles, if missing (Debian, as root).
#   keepassxc-cli (keepassxc)  oathtool  age  zbarimg (zbar-tools)  pdftoppm (poppler-utils)  script (bsdutils)
#   Xvfb (xvfb) and xclip, for the clipboard test; dot (graphviz), for custody diagrams
#   chromium, headless, for the HTML reports
set -eu
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need keepassxc-cli keepassxc
need oathtool oathtool
need age age
need zbarimg zbar-tools
need pdftoppm poppler-utils
need script bsdutils
need Xvfb xvfb
need xclip xclip
need dot graphviz
need chromium chromium
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install these packages by hand:$missing" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing test oracles:$missing" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
