#!/usr/bin/env bash
# System packages docagent needs: Tesseract with Korean, and a Korean font for rendering.
# Quick when already installed; uses sudo when not root.
set -euo pipefail
need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
if command -v tesseract >/dev/null 2>&1; then
  langs=$(tesseract --list-langs 2>/dev/null || true)
  grep -qx kor <<<"$langs" || need+=(tesseract-ocr-kor)
  grep -qx eng <<<"$langs" || need+=(tesseract-ocr-eng)
else
  need+=(tesseract-ocr-kor tesseract-ocr-eng)
fi
fc-list 2>/dev/null | grep -qi nanum || need+=(fonts-nanum fontconfig)
# Optional: Docker Compose (the plugin or the standalone v1), which tests/deploy uses to
# validate compose.yaml. Without it those tests skip; failing to install it is only a warning.
compose=1
docker compose version >/dev/null 2>&1 || docker-compose version >/dev/null 2>&1 || compose=0
[ ${#need[@]} -eq 0 ] && [ $compose -eq 1 ] && exit 0
warn_compose() {
  echo "warning: could not install docker-compose; tests/deploy will skip (install Docker Compose to run them)" >&2
}
if ! command -v apt-get >/dev/null 2>&1; then
  if [ ${#need[@]} -gt 0 ]; then
    echo "Please install: ${need[*]} (Tesseract with Korean and a Korean font)" >&2
    exit 1
  fi
  warn_compose
  exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  updated=1
fi
if [ $compose -eq 0 ]; then
  # Debian's docker-compose (v1) without its recommended docker.io: only `config` is needed.
  echo "installing system packages: docker-compose"
  { [ "${updated:-0}" -eq 1 ] || $SUDO apt-get update -qq; } \
    && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
         docker-compose >/dev/null \
    || warn_compose
fi
