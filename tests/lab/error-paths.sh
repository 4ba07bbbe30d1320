#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Lab test (run in /lab by /init): the setup errors users hit with
# --device vfio=BDF must exit 1 with a sentence that names the problem and the
# fix: (a) the device is not bound to vfio-pci, (b) the kernel has no
# /dev/iommu, (c) RLIMIT_MEMLOCK too small without CAP_IPC_LOCK.
# Prints PASS/FAIL per case; exits non-zero on any FAIL.
cd /lab || exit 1
fails=0
err=/tmp/error-paths.err

find_edu() {
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
			echo "${d##*/}"
			return 0
		fi
	done
	return 1
}

bdf=$(find_edu) || { echo "error-paths: no edu device (1234:11e8)"; exit 77; }
run="bin/ioshade run --kernel guests/hello.elf --memory 64M --device vfio=$bdf"

# expect NAME STATUS "grep -E pattern"... -- command: the exit status and
# every pattern (each must match somewhere in stderr).
expect() {
	name=$1 want=$2
	shift 2
	pats=""
	while [ "$1" != "--" ]; do
		pats="$pats
$1"
		shift
	done
	shift
	"$@" >/dev/null 2>"$err" </dev/null
	rc=$?
	ok=1
	[ "$rc" = "$want" ] || ok=0
	missing=""
	echo "$pats" | while IFS= read -r p; do
		[ -z "$p" ] || grep -qE -- "$p" "$err" || echo "$p"
	done >/tmp/error-paths.missing
	[ -s /tmp/error-paths.missing ] && ok=0
	echo "--- $name: exit $rc (want $want); stderr:"
	sed 's/^/    /' "$err"
	if [ "$ok" = 1 ]; then
		echo "PASS $name"
	else
		sed 's/^/    missing: /' /tmp/error-paths.missing
		echo "FAIL $name"
		fails=$((fails + 1))
	fi
}

driver_of() {
	basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null
}

# (a) not bound to vfio-pci. driver_override stays vfio-pci, so unbinding
# leaves it driverless until drivers_probe binds it again.
echo "$bdf" >/sys/bus/pci/drivers/vfio-pci/unbind
expect unbound-device 1 "$bdf is not bound to any driver" "driver_override" \
	"echo $bdf > /sys/bus/pci/drivers_probe" -- $run
echo "$bdf" >/sys/bus/pci/drivers_probe
if [ "$(driver_of "$bdf")" != vfio-pci ]; then
	echo "FAIL rebind: $bdf is on '$(driver_of "$bdf")' after drivers_probe"
	fails=$((fails + 1))
fi

# (b) no /dev/iommu: a private mount namespace whose /dev has only what
# ioshade needs besides it.
nodev=/tmp/error-paths-dev
rm -rf "$nodev"
mkdir -p "$nodev"
cp -a /dev/null /dev/zero /dev/urandom /dev/kvm /dev/vfio "$nodev"/
expect no-iommufd 1 "kernel has no iommufd: /dev/iommu missing" "CONFIG_IOMMUFD" -- \
	unshare -m sh -c "mount --bind $nodev /dev && exec $run"
rm -rf "$nodev"

# (c) RLIMIT_MEMLOCK of 64 KiB without CAP_IPC_LOCK (util-linux setpriv drops
# it from the bounding set, so the exec'd ioshade lacks it even as root).
expect memlock 1 "pinning 67108864 bytes" "RLIMIT_MEMLOCK \(65536 bytes\)" \
	"ulimit -l 65536" -- \
	sh -c "ulimit -l 64 && exec bin/setpriv --bounding-set -ipc_lock --inh-caps -ipc_lock $run"

echo "error-paths: $fails failed"
[ "$fails" = 0 ]
