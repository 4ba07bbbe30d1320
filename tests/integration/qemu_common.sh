#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for the qemu_*.sh integration tests: boot a PVH guest ELF
# with qemu-system-x86_64 -kernel, capture its serial output and exit status.
# Source this file; it defines qemu_require, qemu_run_guest, expect_line.

QEMU=${QEMU:-qemu-system-x86_64}
QEMU_ACCEL=${QEMU_ACCEL:-tcg}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}

# qemu_require <guest.elf>: exit 77 (skip) without QEMU, 99 without the guest.
qemu_require() {
	if ! command -v "$QEMU" >/dev/null 2>&1; then
		echo "SKIP: $QEMU not found (install qemu-system-x86)"
		exit 77
	fi
	if [ ! -f "$1" ]; then
		echo "ERROR: guest $1 not found (build target guest_$(basename "$1" .elf))"
		exit 99
	fi
}

# qemu_run_guest <log> <guest.elf> [qemu args...]: runs the guest, writes the
# serial output (CR stripped) to <log>, sets QEMU_STATUS to QEMU's exit status.
qemu_run_guest() {
	local log=$1 elf=$2
	shift 2
	set +e
	timeout -s KILL "$QEMU_TIMEOUT" "$QEMU" -accel "$QEMU_ACCEL" -nodefaults \
		-display none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$elf" "$@" </dev/null 2>"$log.stderr" | tr -d '\r' >"$log"
	QEMU_STATUS=${PIPESTATUS[0]}
	set -e
}

# expect_line <log> <exact line>: fails the test if the line is missing.
expect_line() {
	if ! grep -qxF -- "$2" "$1"; then
		echo "FAIL: expected line '$2' in $1"
		return 1
	fi
}

# expect_status <expected> <what>
expect_status() {
	if [ "$QEMU_STATUS" != "$1" ]; then
		echo "FAIL: $2: exit status $QEMU_STATUS, expected $1"
		return 1
	fi
}
