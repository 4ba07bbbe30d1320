#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot one guest under ioshade and check its exit status and console output.
# usage: run-guest.sh EXPECTED_STATUS EXPECTED_TEXT IOSHADE [ARGS...]
# EXPECTED_TEXT "!text" means the output must NOT contain text.
# Exits 77 (skip) when /dev/kvm cannot be opened read-write.
set -u

want_status=$1
want_text=$2
shift 2

if ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	echo "SKIP: no /dev/kvm (missing or not openable read-write)"
	exit 77
fi
exec 3>&-

out=$("$@" 2>&1)
status=$?
printf '%s\n' "$out"
echo "--- exit status $status (want $want_status)"

if [ "$status" -ne "$want_status" ]; then
	echo "FAIL: exit status $status, expected $want_status"
	exit 1
fi
if [ "${want_text:0:1}" = "!" ]; then
	if grep -qF -- "${want_text:1}" <<<"$out"; then
		echo "FAIL: output contains '${want_text:1}'"
		exit 1
	fi
elif ! grep -qF -- "$want_text" <<<"$out"; then
	echo "FAIL: output does not contain '$want_text'"
	exit 1
fi
echo "PASS"
