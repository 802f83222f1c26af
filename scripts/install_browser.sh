#!/usr/bin/env bash
# The playground's browser tests (tests/test_playground.py) drive Debian's chromium through
# Playwright. Install it when missing and this user can (root with apt-get, as in CI);
# otherwise say how, and those tests are skipped (unless RNNKIT_REQUIRE_BROWSER is set).
set -euo pipefail
if command -v chromium > /dev/null 2>&1 || [ -n "${RNNKIT_CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then
  echo "installing chromium (apt-get) for the playground's browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
else
  echo "note: no chromium; the playground's browser tests will be skipped" \
       "(sudo apt-get install chromium, or set RNNKIT_CHROMIUM to a chromium binary)"
fi
