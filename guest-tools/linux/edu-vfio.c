// SPDX-License-Identifier: GPL-2.0-only
// edu-vfio: drive an edu DMA device (1234:11e8) from user space through the
// kernel's own VFIO (iommufd + VFIO cdev, or type1 with --type1). Checks DMA in
// both directions through the IOMMU, then isolation: DMA to IOVAs that are not
// mapped (a hole, the physical address of one of our pages, an unmapped buffer)
// must neither reach memory nor wedge the device. Prints PASS/FAIL lines.

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio-user.h"
#include "vmm/edu_regs.h"

#define PAGE		4096ull
#define IOVA_DATA	0x01000000ull	/* 2 pages: source and destination */
#define IOVA_PROBE	0x02000000ull	/* 1 page: reads the device buffer back */
#define IOVA_HOLE	0x03000000ull	/* never mapped */
#define VICTIM_POOL	4096		/* pages searched for one below EDU_DMA_LIMIT */
#define DMA_TIMEOUT_MS	5000

struct ctx {
	struct vfu_dev *dev;
	uint8_t *data;		/* 2 pages, mapped at IOVA_DATA until unmap-* */
	uint8_t *probe;		/* 1 page, mapped at IOVA_PROBE */
	uint8_t *victim;	/* 1 locked page, never mapped */
	uint64_t victim_pa;	/* its physical address, 0 if unknown or >= 256 MiB */
	bool data_mapped;
};

struct test {
	const char *name;
	/* 1 pass, 0 fail, -1 skip; why explains a fail or a skip. */
	int (*run)(struct ctx *c, char *why, size_t len);
};

/* ---- patterns ---- */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static bool matches(const uint8_t *p, size_t n, uint32_t seed)
{
	uint8_t *want = malloc(n);
	bool ok;

	if (!want)
		return false;
	fill(want, n, seed);
	/* The device wrote p: do not let the compiler reuse earlier loads. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ok = !memcmp(p, want, n);
	free(want);
	return ok;
}

/* ---- edu ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int edu_wait_idle(struct vfu_dev *d)
{
	for (int i = 0; i < DMA_TIMEOUT_MS; i++) {
		uint32_t cmd = vfu_bar0_read32(d, EDU_REG_DMA_CMD);

		if (cmd == ~0u)
			return -EIO;
		if (!(cmd & EDU_DMA_CMD_RUN))
			return 0;
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* One edu transfer of cnt bytes; returns once the device says it is done. */
static int edu_dma(struct vfu_dev *d, uint64_t src, uint64_t dst, uint32_t cnt, uint32_t cmd)
{
	int ret = edu_wait_idle(d);

	if (ret)
		return ret;
	vfu_bar0_write32(d, EDU_REG_DMA_SRC, (uint32_t)src);
	vfu_bar0_write32(d, EDU_REG_DMA_DST, (uint32_t)dst);
	vfu_bar0_write32(d, EDU_REG_DMA_COUNT, cnt);
	vfu_bar0_write32(d, EDU_REG_DMA_CMD, cmd | EDU_DMA_CMD_RUN);
	return edu_wait_idle(d);
}

static int to_dev(struct ctx *c, uint64_t iova)
{
	return edu_dma(c->dev, iova, EDU_DMA_BUF_ADDR, PAGE, 0);
}

static int from_dev(struct ctx *c, uint64_t iova)
{
	return edu_dma(c->dev, EDU_DMA_BUF_ADDR, iova, PAGE, EDU_DMA_CMD_TO_RAM);
}

/* Load the device buffer with pattern seed through the probe page. */
static int load_dev(struct ctx *c, uint32_t seed)
{
	fill(c->probe, PAGE, seed);
	return to_dev(c, IOVA_PROBE);
}

static bool edu_alive(struct vfu_dev *d)
{
	vfu_bar0_write32(d, EDU_REG_LIVENESS, 0x0badf00d);
	return vfu_bar0_read32(d, EDU_REG_LIVENESS) == ~0x0badf00du;
}

/* ---- tests ---- */

static int t_ident(struct ctx *c, char *why, size_t len)
{
	uint32_t id = vfu_bar0_read32(c->dev, EDU_REG_IDENT);

	snprintf(why, len, "ident %#x (want 0x??????ed)", id);
	return (id & 0xff) == 0xed;
}

static int t_liveness(struct ctx *c, char *why, size_t len)
{
	static const uint32_t vals[] = { 0x12345678, 0xffffffff, 0, 0xa5a55a5a };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint32_t got;

		vfu_bar0_write32(c->dev, EDU_REG_LIVENESS, vals[i]);
		got = vfu_bar0_read32(c->dev, EDU_REG_LIVENESS);
		if (got != ~vals[i]) {
			snprintf(why, len, "wrote %#x, read %#x", vals[i], got);
			return 0;
		}
	}
	return 1;
}

/* RAM -> device, then device -> another page: the bytes make the round trip. */
static int t_dma_to_device(struct ctx *c, char *why, size_t len)
{
	int ret;

	fill(c->data, PAGE, 0x1001);
	memset(c->probe, 0, PAGE);
	ret = to_dev(c, IOVA_DATA);
	if (!ret)
		ret = from_dev(c, IOVA_PROBE);
	if (ret) {
		snprintf(why, len, "edu DMA did not finish: %s", strerror(-ret));
		return 0;
	}
	snprintf(why, len, "bytes read back differ from the source page");
	return matches(c->probe, PAGE, 0x1001);
}

/* A 256-byte device -> RAM write lands exactly where asked, nowhere else. */
static int t_dma_from_device(struct ctx *c, char *why, size_t len)
{
	uint8_t *dst = c->data + PAGE;
	int ret = load_dev(c, 0x2002);

	memset(dst, 0x5a, PAGE);
	if (!ret)
		ret = edu_dma(c->dev, EDU_DMA_BUF_ADDR, IOVA_DATA + PAGE + 128, 256, EDU_DMA_CMD_TO_RAM);
	if (ret) {
		snprintf(why, len, "edu DMA did not finish: %s", strerror(-ret));
		return 0;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (size_t i = 0; i < PAGE; i++) {
		if ((i < 128 || i >= 384) && dst[i] != 0x5a) {
			snprintf(why, len, "byte %zu outside the transfer changed", i);
			return 0;
		}
	}
	snprintf(why, len, "transferred bytes differ");
	return matches(dst + 128, 256, 0x2002);
}

/* Pages we own still hold their patterns (seeds base, base+1, ...). */
static bool pages_intact(struct ctx *c, uint32_t base, char *why, size_t len)
{
	if (!matches(c->data, PAGE, base) || !matches(c->data + PAGE, PAGE, base + 1)) {
		snprintf(why, len, "the data pages (mapped or not) changed");
		return false;
	}
	if (!matches(c->victim, PAGE, base + 2)) {
		snprintf(why, len, "the victim page (pa %#llx) changed",
			 (unsigned long long)c->victim_pa);
		return false;
	}
	return true;
}

static void fill_pages(struct ctx *c, uint32_t base)
{
	fill(c->data, PAGE, base);
	fill(c->data + PAGE, PAGE, base + 1);
	fill(c->victim, PAGE, base + 2);
}

/* device -> RAM at target must change no page of ours and still complete. */
static int write_blocked(struct ctx *c, uint64_t target, uint32_t base, char *why, size_t len)
{
	int ret = load_dev(c, base + 7);

	fill_pages(c, base);
	if (!ret)
		ret = from_dev(c, target);
	if (ret) {
		snprintf(why, len, "edu did not finish the DMA to %#llx: %s",
			 (unsigned long long)target, strerror(-ret));
		return 0;
	}
	if (!pages_intact(c, base, why, len))
		return 0;
	snprintf(why, len, "edu liveness check failed after the blocked DMA");
	return edu_alive(c->dev);
}

static int t_write_hole(struct ctx *c, char *why, size_t len)
{
	return write_blocked(c, IOVA_HOLE, 0x3003, why, len);
}

static int t_write_physical(struct ctx *c, char *why, size_t len)
{
	if (!c->victim_pa) {
		snprintf(why, len, "no page of ours below 256 MiB with a readable pagemap");
		return -1;
	}
	return write_blocked(c, c->victim_pa, 0x4004, why, len);
}

/* RAM -> device from the victim's physical address must not read the victim. */
static int t_read_physical(struct ctx *c, char *why, size_t len)
{
	int ret;

	if (!c->victim_pa) {
		snprintf(why, len, "no page of ours below 256 MiB with a readable pagemap");
		return -1;
	}
	fill(c->victim, PAGE, 0x5005);
	ret = load_dev(c, 0x5006);
	if (!ret)
		ret = to_dev(c, c->victim_pa);
	memset(c->probe, 0, PAGE);
	if (!ret)
		ret = from_dev(c, IOVA_PROBE);
	if (ret) {
		snprintf(why, len, "edu DMA did not finish: %s", strerror(-ret));
		return 0;
	}
	snprintf(why, len, "the device read the victim page through its physical address");
	return !matches(c->probe, PAGE, 0x5005);
}

/* After unmapping the data pages, device -> RAM at their old IOVA is blocked. */
static int t_unmap_write(struct ctx *c, char *why, size_t len)
{
	int ret = load_dev(c, 0x6007);

	if (!ret)
		ret = vfu_dma_unmap(c->dev, IOVA_DATA, 2 * PAGE);
	if (ret) {
		snprintf(why, len, "%s", vfu_error(c->dev));
		return 0;
	}
	c->data_mapped = false;
	fill_pages(c, 0x6000);
	ret = from_dev(c, IOVA_DATA + PAGE);
	if (ret) {
		snprintf(why, len, "edu did not finish the DMA: %s", strerror(-ret));
		return 0;
	}
	return pages_intact(c, 0x6000, why, len);
}

/* ... and RAM -> device from the old IOVA does not read the old page. */
static int t_unmap_read(struct ctx *c, char *why, size_t len)
{
	int ret;

	if (c->data_mapped) {
		snprintf(why, len, "unmap-blocks-write did not unmap the data pages");
		return -1;
	}
	fill(c->data, PAGE, 0x7007);
	ret = load_dev(c, 0x7008);
	if (!ret)
		ret = to_dev(c, IOVA_DATA);
	memset(c->probe, 0, PAGE);
	if (!ret)
		ret = from_dev(c, IOVA_PROBE);
	if (ret) {
		snprintf(why, len, "edu DMA did not finish: %s", strerror(-ret));
		return 0;
	}
	snprintf(why, len, "the device read an unmapped page");
	return !matches(c->probe, PAGE, 0x7007);
}

/* After the faults the device and the remaining mapping still work. */
static int t_alive(struct ctx *c, char *why, size_t len)
{
	int ret = load_dev(c, 0x8008);

	memset(c->probe, 0, PAGE);
	if (!ret)
		ret = from_dev(c, IOVA_PROBE);
	if (ret) {
		snprintf(why, len, "edu DMA did not finish: %s", strerror(-ret));
		return 0;
	}
	snprintf(why, len, "liveness or the round trip through the probe page failed");
	return edu_alive(c->dev) && matches(c->probe, PAGE, 0x8008);
}

static const struct test tests[] = {
	{ "ident", t_ident },
	{ "liveness", t_liveness },
	{ "dma-to-device", t_dma_to_device },
	{ "dma-from-device", t_dma_from_device },
	{ "isolation-write-hole", t_write_hole },
	{ "isolation-write-physical", t_write_physical },
	{ "isolation-read-physical", t_read_physical },
	{ "unmap-blocks-write", t_unmap_write },
	{ "unmap-blocks-read", t_unmap_read },
	{ "alive-after-faults", t_alive },
};

/* ---- setup ---- */

static void *alloc_pages(size_t n)
{
	void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mlock(p, n * PAGE);
	return p;
}

/* Physical address of a locked page, 0 if pagemap hides it (no CAP_SYS_ADMIN). */
static uint64_t phys_addr(int pagemap, const void *va)
{
	uint64_t e;
	off_t off = (off_t)((uintptr_t)va / PAGE * sizeof(e));

	if (pread(pagemap, &e, sizeof(e), off) != sizeof(e) || !(e >> 63))
		return 0;
	return (e & ((1ull << 55) - 1)) * PAGE;
}

static bool usable_victim(uint64_t pa)
{
	return pa && pa <= EDU_DMA_MASK_DEFAULT && (pa + PAGE <= IOVA_DATA || pa > IOVA_HOLE + PAGE);
}

/* Keep one page whose physical address the edu can reach, free the others. */
static void pick_victim(struct ctx *c)
{
	uint8_t *pool = alloc_pages(VICTIM_POOL);
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t keep = VICTIM_POOL;

	for (size_t i = 0; pool && pm >= 0 && i < VICTIM_POOL; i++) {
		uint64_t pa = phys_addr(pm, pool + i * PAGE);

		if (usable_victim(pa)) {
			keep = i;
			c->victim_pa = pa;
			break;
		}
	}
	if (pm >= 0)
		close(pm);
	if (!pool)
		return;
	if (keep == VICTIM_POOL)
		keep = 0;	/* still a victim for the data checks, just not by address */
	c->victim = pool + keep * PAGE;
	if (keep)
		munmap(pool, keep * PAGE);
	if (keep + 1 < VICTIM_POOL)
		munmap(c->victim + PAGE, (VICTIM_POOL - keep - 1) * PAGE);
}

static int setup_dma(struct ctx *c, char *why, size_t len)
{
	c->data = alloc_pages(2);
	c->probe = alloc_pages(1);
	pick_victim(c);
	if (!c->data || !c->probe || !c->victim) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	if (vfu_dma_map(c->dev, c->data, IOVA_DATA, 2 * PAGE) ||
	    vfu_dma_map(c->dev, c->probe, IOVA_PROBE, PAGE)) {
		snprintf(why, len, "%s", vfu_error(c->dev));
		return -EIO;
	}
	c->data_mapped = true;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: edu-vfio [--type1] [--rw] [BDF]\n"
		"  BDF      the edu device (default: the first 1234:11e8 in sysfs),\n"
		"           bound to vfio-pci\n"
		"  --type1  use /dev/vfio/vfio + the IOMMU group instead of iommufd + VFIO cdev\n"
		"  --rw     access BAR0 with pread/pwrite instead of mmap\n"
		"exit status: 0 all passed, 1 a check failed, 2 bad usage, 77 no edu device\n");
}

static int parse_args(int argc, char **argv, enum vfu_backend *be, bool *rw, char *bdf,
		      size_t len)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--type1"))
			*be = VFU_TYPE1;
		else if (!strcmp(argv[i], "--rw"))
			*rw = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
		else if (argv[i][0] != '-' && !bdf[0])
			snprintf(bdf, len, "%s", argv[i]);
		else
			return -EINVAL;
	}
	return 0;
}

static int run_tests(struct ctx *c)
{
	int passed = 0, failed = 0, skipped = 0;
	char why[256];

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int r;

		why[0] = '\0';
		r = tests[i].run(c, why, sizeof(why));
		if (r > 0) {
			printf("PASS %s\n", tests[i].name);
			passed++;
		} else if (r < 0) {
			printf("SKIP %s: %s\n", tests[i].name, why);
			skipped++;
		} else {
			printf("FAIL %s: %s\n", tests[i].name, why);
			failed++;
		}
	}
	printf("%d passed, %d failed", passed, failed);
	printf(skipped ? " (%d skipped)\n" : "\n", skipped);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum vfu_backend be = VFU_IOMMUFD;
	struct ctx c = { 0 };
	char bdf[64] = "", why[320];
	bool rw = false;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = parse_args(argc, argv, &be, &rw, bdf, sizeof(bdf));
	if (ret) {
		usage(ret > 0 ? stdout : stderr);
		return ret > 0 ? 0 : 2;
	}
	if (!bdf[0] && vfu_find_pci(EDU_VENDOR_ID, EDU_DEVICE_ID, bdf, sizeof(bdf))) {
		printf("SKIP: no edu device (%04x:%04x) in /sys/bus/pci/devices\n",
		       EDU_VENDOR_ID, EDU_DEVICE_ID);
		return 77;
	}
	ret = vfu_open(&c.dev, be, bdf, rw, why, sizeof(why));
	if (!ret)
		ret = setup_dma(&c, why, sizeof(why));
	if (ret) {
		printf("FAIL open %s: %s\n0 passed, 1 failed\n", bdf, why);
		vfu_close(c.dev);
		return 1;
	}
	printf("edu-vfio: %s via %s, BAR0 by %s, victim page pa %#llx\n", bdf,
	       be == VFU_TYPE1 ? "VFIO type1" : "iommufd + VFIO cdev",
	       c.dev->bar0.map ? "mmap" : "pread/pwrite", (unsigned long long)c.victim_pa);
	ret = run_tests(&c);
	vfu_close(c.dev);
	return ret;
}
