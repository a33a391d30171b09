#!/usr/bin/env bash
# The mock as a CI service for a suite in any language: serve it on a free port, wait until it answers, run the
# command given with the mock's URL in $VONAGE_ACCOUNT_MOCK_URL, and stop the mock however the command ends.
#   usage: with-mock.sh COMMAND [ARG...]      e.g. with-mock.sh node --test accounts.test.mjs
# Extra flags for serve (a seed file, --strict, ...) go in $VONAGE_ACCOUNT_MOCK_FLAGS.
set -euo pipefail
url_file=$(mktemp -u "${TMPDIR:-/tmp}/vonage-account-mock.XXXXXX.url")
# shellcheck disable=SC2086  # the flags are words
vonage-account-mock serve --port 0 --url-file "$url_file" --log-level warning ${VONAGE_ACCOUNT_MOCK_FLAGS:-} & mock=$!
trap 'kill "$mock" 2>/dev/null || true; wait "$mock" 2>/dev/null || true' EXIT
# The URL file appears once the mock answers (a start-up error ends the mock: its one line is on stderr).
until [ -s "$url_file" ]; do
    kill -0 "$mock" 2>/dev/null || { echo "with-mock.sh: the mock did not start (see the line above)" >&2; exit 1; }
    sleep 0.1
done
VONAGE_ACCOUNT_MOCK_URL=$(cat "$url_file")
export VONAGE_ACCOUNT_MOCK_URL
curl -fsS "$VONAGE_ACCOUNT_MOCK_URL/_mock/health" >/dev/null   # the readiness probe: {"status": "ok", ...}
"$@"
