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
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]} (Tesseract with Korean and a Korean font)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
