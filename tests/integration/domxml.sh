#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# libvirt domain XML end to end: a VM described in XML boots a guest; the
# command line adds to it; `domxml --from-args` output boots the same guest;
# an element ioshade cannot honour stops the VM before it starts, naming the
# element and its line.  usage: domxml.sh IOSHADE GUEST_DIR FIXTURE_DIR
set -u
ioshade=$1 guests=$2 fixtures=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

if ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	echo "SKIP: no /dev/kvm (missing or not openable read-write)"
	exit 77
fi
exec 3>&-

cat >"$tmp/vm.xml" <<XML
<domain type='kvm'>
  <name>conformance</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><kernel>$guests/viommu-conformance.elf</kernel></os>
  <clock offset='utc'/>
  <devices>
    <iommu model='virtio'/>
    <serial type='stdio'/>
  </devices>
</domain>
XML
# The XML has no DMA device; the command line adds the emulated edu.
out=$("$ioshade" run --domain "$tmp/vm.xml" --device edu 2>&1)
rc=$?
printf '%s\n' "$out" | tail -3
[ "$rc" -eq 33 ] || fail "XML-described VM exited $rc, want 33"
grep -q " passed, 0 failed" <<<"$out" || fail "conformance guest did not pass under --domain"
grep -q "<clock>" <<<"$out" || fail "ignored <clock> was not reported in a warning"

"$ioshade" domxml --from-args run --kernel "$guests/hello.elf" --memory 64M --cpus 2 \
	>"$tmp/gen.xml" || fail "domxml --from-args failed"
out=$("$ioshade" run --domain "$tmp/gen.xml" 2>&1)
rc=$?
[ "$rc" -eq 33 ] || fail "generated XML VM exited $rc, want 33"
grep -q "Hello from ioshade guest" <<<"$out" || fail "generated XML VM printed no greeting"

out=$("$ioshade" run --domain "$fixtures/reject_disk.xml" 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "<disk> fixture exited $rc, want 2 (usage)"
grep -q "reject_disk.xml:[0-9]*: <disk>" <<<"$out" || fail "error does not name <disk> and its line: $out"
grep -q "Hello\|guest_exit" <<<"$out" && fail "a rejected domain started the guest"
echo PASS
