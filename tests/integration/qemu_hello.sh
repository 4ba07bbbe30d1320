#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots guest-tools' hello.elf under QEMU (pc and q35 machines) and checks the
# greeting, the echoed command line and the debug-exit status 33 (PASS).
# Usage: qemu_hello.sh <build-dir>/guest-tools/hello.elf   (77 = skipped)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/qemu_common.sh"

elf=${1:?usage: $0 path/to/hello.elf}
qemu_require "$elf"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rc=0
for machine in pc q35; do
	log=$work/hello-$machine.log
	qemu_run_guest "$log" "$elf" -M "$machine" -append "ioshade-test $machine"
	cat "$log"
	expect_line "$log" "Hello from ioshade guest" || rc=1
	grep -q '^start_info: magic OK ' "$log" || { echo "FAIL: start_info magic"; rc=1; }
	expect_line "$log" "cmdline: \"ioshade-test $machine\"" || rc=1
	expect_status 33 "hello on $machine" || rc=1
done
[ "$rc" = 0 ] && echo "qemu_hello: OK"
exit "$rc"
