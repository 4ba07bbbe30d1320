// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay driver for the fuzz targets when libFuzzer is not available: feeds
 * every file of the given corpus directories to LLVMFuzzerTestOneInput, then
 * N deterministic mutations of them (bit flips, byte stores, interesting
 * values, inserts, deletes, splices), so the gcc + sanitizer build exercises
 * each target too. Usage: replay [-n N] [-s SEED] DIR|FILE...
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT	(1u << 20)
#define REPLAY_MAX_FILES	4096

struct input {
	uint8_t *data;
	size_t size;
};

struct corpus {
	struct input in[REPLAY_MAX_FILES];
	size_t n;
};

/* xorshift64*: deterministic for a given seed, good enough for mutations. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int load_file(struct corpus *c, const char *path)
{
	struct input *in = &c->in[c->n];
	FILE *f;
	long n;

	if (c->n == REPLAY_MAX_FILES)
		return -E2BIG;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	if ((size_t)n > REPLAY_MAX_INPUT)
		n = REPLAY_MAX_INPUT;
	in->data = malloc(n ? (size_t)n : 1);
	if (!in->data || fread(in->data, 1, (size_t)n, f) != (size_t)n) {
		free(in->data);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	in->size = (size_t)n;
	c->n++;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order, so a run is reproducible. */
static int load_dir(struct corpus *c, const char *dir)
{
	char *names[REPLAY_MAX_FILES], path[4096];
	size_t n = 0, i;
	struct dirent *e;
	int ret = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < REPLAY_MAX_FILES)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!ret && !stat(path, &st) && S_ISREG(st.st_mode))
			ret = load_file(c, path);
		free(names[i]);
	}
	return ret;
}

static const int64_t interesting[] = {
	0, 1, -1, 2, 4, 8, 15, 16, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
	0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000LL, 0xffffffffLL,
	0xfee00000LL, 0x100000000LL, INT64_MAX, INT64_MIN,
};

static void mutate_one(uint8_t *b, size_t *size, size_t cap, const struct corpus *c,
		       uint64_t *s)
{
	size_t n = *size, at = n ? rnd(s) % n : 0, len;

	switch (rnd(s) % 7) {
	case 0:					/* flip a bit */
		if (n)
			b[at] ^= 1u << (rnd(s) % 8);
		break;
	case 1:					/* random byte */
		if (n)
			b[at] = (uint8_t)rnd(s);
		break;
	case 2: {				/* interesting value, 1/2/4/8 bytes */
		int64_t v = interesting[rnd(s) % (sizeof(interesting) / sizeof(interesting[0]))];

		len = (size_t)1 << (rnd(s) % 4);
		if (n >= len)
			memcpy(b + rnd(s) % (n - len + 1), &v, len);
		break;
	}
	case 3:					/* insert random bytes */
		len = 1 + rnd(s) % 16;
		if (n + len <= cap) {
			memmove(b + at + len, b + at, n - at);
			for (size_t i = 0; i < len; i++)
				b[at + i] = (uint8_t)rnd(s);
			*size = n + len;
		}
		break;
	case 4:					/* delete bytes */
		len = n ? 1 + rnd(s) % (n - at < 16 ? n - at : 16) : 0;
		memmove(b + at, b + at + len, n - at - len);
		*size = n - len;
		break;
	case 5:					/* copy a block inside the input */
		len = n ? 1 + rnd(s) % (n < 32 ? n : 32) : 0;
		if (len && len <= n)
			memmove(b + rnd(s) % (n - len + 1), b + rnd(s) % (n - len + 1), len);
		break;
	default: {				/* splice from another input */
		const struct input *o = &c->in[rnd(s) % c->n];

		len = o->size ? 1 + rnd(s) % o->size : 0;
		if (len && at + len <= cap) {
			memcpy(b + at, o->data + rnd(s) % (o->size - len + 1), len);
			if (at + len > n)
				*size = at + len;
		}
		break;
	}
	}
}

static int run_mutations(const struct corpus *c, unsigned long n, uint64_t seed)
{
	size_t cap = 0;
	uint8_t *buf;

	for (size_t i = 0; i < c->n; i++)
		cap = c->in[i].size > cap ? c->in[i].size : cap;
	cap += 4096;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (unsigned long i = 0; i < n; i++) {
		const struct input *base = &c->in[rnd(&seed) % c->n];
		size_t size = base->size;
		unsigned k = 1 + rnd(&seed) % 8;

		memcpy(buf, base->data, size);
		while (k--)
			mutate_one(buf, &size, cap, c, &seed);
		/* A copy of exactly size bytes, so ASan sees reads past the end. */
		uint8_t *in = malloc(size ? size : 1);

		memcpy(in, buf, size);
		LLVMFuzzerTestOneInput(in, size);
		free(in);
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	static struct corpus c;
	unsigned long n = 1000;
	uint64_t seed = 0x10511ade;
	int i, ret;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = strtoul(argv[++i], NULL, 0);
			continue;
		}
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0) | 1;
			continue;
		}
		ret = stat(argv[i], &st) ? -errno :
		      S_ISDIR(st.st_mode) ? load_dir(&c, argv[i]) : load_file(&c, argv[i]);
		if (ret) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(-ret));
			return 1;
		}
	}
	if (!c.n) {
		fprintf(stderr, "replay: no corpus input\n");
		return 1;
	}
	for (size_t k = 0; k < c.n; k++)
		LLVMFuzzerTestOneInput(c.in[k].data, c.in[k].size);
	if (run_mutations(&c, n, seed))
		return 1;
	printf("replay: %zu corpus inputs, %lu mutations: ok\n", c.n, n);
	for (size_t k = 0; k < c.n; k++)
		free(c.in[k].data);
	return 0;
}
