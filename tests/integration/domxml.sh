#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# libvirt domain XML end to end: a VM described in XML boots a guest; the
# command line adds to it; `domxml --from-args` output boots the same guest;
# the XML can come on stdin, and a pty console says how to attach; a missing
# kernel and an element ioshade cannot honour stop the VM before it starts,
# naming the element and its line.  usage: domxml.sh IOSHADE GUEST_DIR FIXTURE_DIR
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

# As virsh create /dev/stdin: the XML on stdin, a pty console (virt-install's)
# whose path is printed with how to attach to it.
out=$(sed "s|<serial type='stdio'/>|<console type='pty'/>|" "$tmp/vm.xml" |
	"$ioshade" run --domain - --device edu 2>&1)
rc=$?
[ "$rc" -eq 33 ] || fail "XML on stdin exited $rc, want 33: $out"
grep -q "serial console (COM1) on /dev/pts/[0-9]*: attach with \`screen /dev/pts/" <<<"$out" ||
	fail "pty console path printed without how to attach: $out"
grep -q "stdin:6: <clock>: ignored" <<<"$out" || fail "stdin not named in warnings: $out"

# A missing kernel is reported at its XML element, not as --kernel.
sed "s|$guests/viommu-conformance.elf|$tmp/no-such.elf|" "$tmp/vm.xml" >"$tmp/nokernel.xml"
out=$("$ioshade" run --domain "$tmp/nokernel.xml" 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "missing kernel exited $rc, want 2 (usage)"
grep -q "nokernel.xml:5: <kernel> '$tmp/no-such.elf': No such file" <<<"$out" ||
	fail "missing kernel not located in the XML: $out"

out=$("$ioshade" run --domain "$fixtures/reject_disk.xml" 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "<disk> fixture exited $rc, want 2 (usage)"
grep -q "reject_disk.xml:[0-9]*: <disk>" <<<"$out" || fail "error does not name <disk> and its line: $out"
grep -q "Hello\|guest_exit" <<<"$out" && fail "a rejected domain started the guest"
echo PASS
