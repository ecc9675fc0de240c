#!/usr/bin/env bash
# Run the test suite with the machine's clock moved to another date and time, to show
# that no test depends on the day it runs. Needs libfaketime (Debian: apt install faketime).
#
#   tests/run_at.sh '2026-12-31 22:30'                         # UTC; the whole suite
#   tests/run_at.sh '2027-03-28 00:30' --zone Europe/London    # the clinic in another zone
#   tests/run_at.sh '2028-02-29 12:00' tests/ui -x             # further arguments go to pytest
#
# The clock is moved by a fixed offset (N seconds), not restarted at a timestamp in each
# process, so pytest (time-machine) and the embedded PostgreSQL server the fixtures start
# (libfaketime, FAKETIME="+N") read the same time, and it keeps running. --zone sets MIC_TEST_CLINIC_ZONE, the
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
# tests/faketime/sitecustomize.py moves pytest's clock (time-machine) and hands
# libfaketime to every process pytest starts (PostgreSQL above all).
python -c 'import time_machine' 2>/dev/null || {
    echo "time-machine is missing: pip install -e '.[test]'" >&2
    exit 2
}
if [ -n "${MIC_TEST_PG15_URL:-}" ]; then
    echo "== MIC_TEST_PG15_URL is ignored: this script cannot move that server's clock ==" >&2
    unset MIC_TEST_PG15_URL
fi
export MIC_RUN_AT_OFFSET="$offset"
export MIC_RUN_AT_LIBFAKETIME="$library"
export PYTHONPATH="$PWD/tests/faketime${PYTHONPATH:+:$PYTHONPATH}"
echo "== tests at $(date -u -d "@$target" '+%a %Y-%m-%d %H:%M %Z') (offset ${offset}s)," \
    "clinic zone ${MIC_TEST_CLINIC_ZONE:-Africa/Harare} =="
# sitecustomize imports time-machine too early for pytest to rewrite its asserts.
exec python -m pytest -p no:time_machine \
    -W "ignore:Module already imported so cannot be rewritten; time_machine" "$@"
