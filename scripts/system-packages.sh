#!/usr/bin/env bash
# Debian packages adreport needs beyond Python: a Hangul font for Korean PDFs,
# HarfBuzz's subsetter for embedding fonts in PDFs, and poppler's pdftotext, which
# the tests use to read the text back out of PDFs.
# Installs them when run as root with apt-get; otherwise says the one command to run.
set -u
missing=()
fc-list 2>/dev/null | grep -qi 'NanumGothic' || missing+=(fonts-nanum)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset' || missing+=(libharfbuzz-subset0)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages)"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    && fc-cache -f >/dev/null 2>&1 && exit 0
fi
echo "adreport: missing Debian packages ${missing[*]}." >&2
echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
exit 0
