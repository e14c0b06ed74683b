#!/bin/sh
# BROWSER_TRUSTED_ORIGINS: http origins the test treats as secure (the test IdP), so the HTTPS page may call them.
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --ignore-certificate-errors \
  --unsafely-treat-insecure-origin-as-secure="${BROWSER_TRUSTED_ORIGINS:-}" --allow-running-insecure-content \
  --remote-debugging-port=9223 --user-data-dir=/tmp/chromium about:blank &
exec socat TCP-LISTEN:9222,fork,reuseaddr TCP:127.0.0.1:9223
