#!/usr/bin/env bash
# Run the test suite with the machine's clock moved to another date and time, to show
# that no test depends on the day it runs. Needs libfaketime (Debian: apt install faketime).
#
#   tests/run_at.sh '2026-12-31 22:30'                         # UTC; the whole suite
#   tests/run_at.sh '2027-03-28 00:30' --zone Europe/London    # the clinic in another zone
#   tests/run_at.sh '2028-02-29 12:00' tests/ui -x             # further arguments go to pytest
#
# The clock is moved by a fixed offset (FAKETIME="+N" seconds), not restarted at a
# timestamp in each process, so pytest and the embedded PostgreSQL server the fixtures
# start read the same time, and it keeps running. --zone sets MIC_TEST_CLINIC_ZONE, the
# clinic's time zone in the test databases (tests/clinic_zone.py; default Africa/Harare).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
    echo "usage: tests/run_at.sh 'YYYY-MM-DD HH:MM' [--zone ZONE] [pytest arguments]" >&2
    exit 2
fi
target=$(date -u -d "$1" +%s) || { echo "not a date: $1" >&2; exit 2; }
shift
if [ "${1:-}" = "--zone" ]; then
    export MIC_TEST_CLINIC_ZONE="$2"
    shift 2
fi

library=""
for candidate in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 \
    /usr/local/lib/faketime/libfaketime.so.1; do
    if [ -e "$candidate" ]; then
        library=$candidate
        break
    fi
done
if [ -z "$library" ]; then
    echo "libfaketime not found (Debian/Ubuntu: apt install faketime)" >&2
    exit 2
fi

offset=$((target - $(date -u +%s)))
export LD_PRELOAD="$library${LD_PRELOAD:+:$LD_PRELOAD}"
export FAKETIME="$(printf '%+d' "$offset")"
# Only the wall clock moves: libfaketime 0.9.10 hangs timed thread waits when it moves the
# monotonic clock too; tests/faketime/sitecustomize.py mends time.sleep for this mode.
export FAKETIME_DONT_FAKE_MONOTONIC=1
export PYTHONPATH="$PWD/tests/faketime${PYTHONPATH:+:$PYTHONPATH}"
echo "== tests at $(date -u '+%a %Y-%m-%d %H:%M %Z') (FAKETIME=$FAKETIME)," \
    "clinic zone ${MIC_TEST_CLINIC_ZONE:-Africa/Harare} =="
exec python -m pytest "$@"
