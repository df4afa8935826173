#!/usr/bin/env bash
# System packages the pipeline needs. Installs with apt when run as root; otherwise says what to install.
# Re-running is a fast no-op: it only looks at what is already there.
set -euo pipefail

# ffmpeg: encode and assemble video; libcairo2-dev/libpango1.0-dev/pkg-config: build pycairo and manimpango;
# texlive-latex-base + dvisvgm: MathTex (the house template uses plain `article`, so no latex-extra, ~190 MB less);
# fonts-lmodern: the house font; espeak-ng: fallback voice (Piper's phonemizer ships its own data);
# chromium: the real browser the course site is tested in (headless, driven by Playwright).
PACKAGES=(ffmpeg libcairo2-dev libpango1.0-dev pkg-config texlive-latex-base dvisvgm fonts-lmodern espeak-ng chromium)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "       install them as root:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "system packages ready"
