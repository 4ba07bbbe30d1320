// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-domain mapping store: insert/overlap/remove/lookup, the 0 and
 * 2^64-1 boundaries, 100k random operations against a flat model, and the
 * AVL height bound.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "viommu/iova_tree.h"

static int setup(void **state)
{
	*state = iova_tree_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	iova_tree_destroy(*state);
	return 0;
}

static void test_insert_lookup_remove(void **state)
{
	struct iova_tree *t = *state;
	const struct iova_map *m;

	assert_int_equal(iova_tree_insert(t, 0x1000, 0x1fff, 0xa000, 1), 0);
	assert_int_equal(iova_tree_insert(t, 0x3000, 0x3fff, 0xb000, 3), 0);
	m = iova_tree_find(t, 0x1800);
	assert_non_null(m);
	assert_int_equal(m->start, 0x1000);
	assert_int_equal(m->gpa, 0xa000);
	assert_int_equal(m->flags, 1);
	assert_null(iova_tree_find(t, 0x2000));
	assert_null(iova_tree_find(t, 0xfff));
	assert_non_null(iova_tree_find(t, 0x3fff));
	assert_null(iova_tree_find(t, 0x4000));
	/* Overlaps at either edge and enclosing ones are refused. */
	assert_int_equal(iova_tree_insert(t, 0x1fff, 0x2fff, 0, 0), -EEXIST);
	assert_int_equal(iova_tree_insert(t, 0x2000, 0x3000, 0, 0), -EEXIST);
	assert_int_equal(iova_tree_insert(t, 0x0, 0x10000, 0, 0), -EEXIST);
	assert_int_equal(iova_tree_insert(t, 0x1400, 0x1400, 0, 0), -EEXIST);
	assert_int_equal(iova_tree_insert(t, 0x2000, 0x1fff, 0, 0), -EINVAL);
	assert_int_equal(iova_tree_count(t), 2);
	/* The gap between them is free. */
	assert_int_equal(iova_tree_insert(t, 0x2000, 0x2fff, 0, 0), 0);
	assert_int_equal(iova_tree_remove(t, 0x1800), -ENOENT);
	assert_int_equal(iova_tree_remove(t, 0x1000), 0);
	assert_int_equal(iova_tree_remove(t, 0x1000), -ENOENT);
	assert_null(iova_tree_find(t, 0x1000));
	assert_int_equal(iova_tree_count(t), 2);
}

static void test_first_overlap_and_next(void **state)
{
	struct iova_tree *t = *state;
	const struct iova_map *m;

	assert_int_equal(iova_tree_insert(t, 10, 19, 0, 0), 0);
	assert_int_equal(iova_tree_insert(t, 30, 39, 0, 0), 0);
	assert_int_equal(iova_tree_insert(t, 50, 59, 0, 0), 0);
	m = iova_tree_first_overlap(t, 15, 55);
	assert_non_null(m);
	assert_int_equal(m->start, 10);
	m = iova_tree_first_overlap(t, 20, 55);
	assert_int_equal(m->start, 30);
	assert_null(iova_tree_first_overlap(t, 20, 29));
	assert_null(iova_tree_first_overlap(t, 60, UINT64_MAX));
	assert_null(iova_tree_first_overlap(t, 40, 30));
	m = iova_tree_next(t, 10);
	assert_int_equal(m->start, 30);
	m = iova_tree_next(t, 0);
	assert_int_equal(m->start, 10);
	assert_null(iova_tree_next(t, 50));
}

static void test_boundaries(void **state)
{
	struct iova_tree *t = *state;
	const struct iova_map *m;

	assert_int_equal(iova_tree_insert(t, 0, 0, 7, 0), 0);
	assert_int_equal(iova_tree_insert(t, UINT64_MAX, UINT64_MAX, 9, 0), 0);
	assert_int_equal(iova_tree_insert(t, UINT64_MAX - 0xfff, UINT64_MAX, 0, 0), -EEXIST);
	assert_int_equal(iova_tree_insert(t, 0, UINT64_MAX, 0, 0), -EEXIST);
	m = iova_tree_find(t, UINT64_MAX);
	assert_non_null(m);
	assert_int_equal(m->gpa, 9);
	m = iova_tree_find(t, 0);
	assert_int_equal(m->gpa, 7);
	assert_null(iova_tree_find(t, 1));
	assert_null(iova_tree_next(t, UINT64_MAX));
	assert_int_equal(iova_tree_insert(t, 1, UINT64_MAX - 1, 0, 0), 0);
	m = iova_tree_first_overlap(t, 0, UINT64_MAX);
	assert_int_equal(m->start, 0);
	assert_int_equal(iova_tree_remove(t, UINT64_MAX), 0);
	assert_int_equal(iova_tree_remove(t, 0), 0);
	assert_int_equal(iova_tree_remove(t, 1), 0);
	assert_int_equal(iova_tree_count(t), 0);
	assert_int_equal(iova_tree_insert(t, 0, UINT64_MAX, 0, 0), 0);
	assert_non_null(iova_tree_find(t, 0x8000000000000000ULL));
}

/* AVL bound: a tree of height h holds at least N(h) = N(h-1) + N(h-2) + 1
 * nodes (N(0) = 0, N(1) = 1). */
static void assert_balanced(const struct iova_tree *t)
{
	uint64_t a = 0, b = 1, c;
	int h;

	for (h = 1; h < iova_tree_height(t); h++) {
		c = a + b + 1;
		a = b;
		b = c;
	}
	assert_true(iova_tree_height(t) == 0 || iova_tree_count(t) >= b);
}

static void test_balance_sequential(void **state)
{
	struct iova_tree *t = *state;
	uint64_t i;

	for (i = 0; i < 100000; i++)
		assert_int_equal(iova_tree_insert(t, i * 0x1000, i * 0x1000 + 0xfff, i, 0), 0);
	assert_balanced(t);
	assert_true(iova_tree_height(t) <= 25);
	/* Remove every other one: still balanced and correct. */
	for (i = 0; i < 100000; i += 2)
		assert_int_equal(iova_tree_remove(t, i * 0x1000), 0);
	assert_balanced(t);
	assert_null(iova_tree_find(t, 0x2000));
	assert_int_equal(iova_tree_find(t, 0x3004)->gpa, 3);
}

/* Flat model over a small universe: owner[a] = start of the range holding a. */
#define UNIVERSE 8192
struct model {
	int32_t owner[UNIVERSE];
	int32_t last[UNIVERSE];		/* valid where owner[s] == s */
};

static bool model_free(const struct model *md, int s, int l)
{
	for (int a = s; a <= l; a++)
		if (md->owner[a] >= 0)
			return false;
	return true;
}

static void check_first_overlap(const struct iova_tree *t, const struct model *md, int s, int l)
{
	const struct iova_map *m = iova_tree_first_overlap(t, s, l);
	int a;

	for (a = s; a <= l && md->owner[a] < 0; a++)
		;
	if (a > l) {
		assert_null(m);
		return;
	}
	assert_non_null(m);
	assert_int_equal(m->start, md->owner[a]);
	assert_int_equal(m->last, md->last[md->owner[a]]);
}

static void random_op(struct iova_tree *t, struct model *md)
{
	int s = rand() % UNIVERSE, len = 1 + rand() % 48, l = s + len - 1, a;
	int op = rand() % 4;

	if (l >= UNIVERSE)
		l = UNIVERSE - 1;
	if (op == 0) {
		bool ok = model_free(md, s, l);

		assert_int_equal(iova_tree_insert(t, s, l, s * 2, 0), ok ? 0 : -EEXIST);
		for (a = s; ok && a <= l; a++)
			md->owner[a] = s;
		if (ok)
			md->last[s] = l;
	} else if (op == 1) {
		bool ok = md->owner[s] == s;

		assert_int_equal(iova_tree_remove(t, s), ok ? 0 : -ENOENT);
		for (a = s; ok && a <= md->last[s]; a++)
			md->owner[a] = -1;
	} else if (op == 2) {
		const struct iova_map *m = iova_tree_find(t, s);

		if (md->owner[s] < 0) {
			assert_null(m);
		} else {
			assert_non_null(m);
			assert_int_equal(m->start, md->owner[s]);
			assert_int_equal(m->gpa, (uint64_t)md->owner[s] * 2);
		}
	} else {
		check_first_overlap(t, md, s, l);
	}
}

static void test_random_vs_model(void **state)
{
	struct iova_tree *t = *state;
	struct model *md = malloc(sizeof(*md));
	size_t count = 0;
	int i;

	assert_non_null(md);
	memset(md->owner, 0xff, sizeof(md->owner));
	srand(12345);
	for (i = 0; i < 100000; i++) {
		random_op(t, md);
		if (i % 5000 == 0)
			assert_balanced(t);
	}
	for (i = 0; i < UNIVERSE; i++)
		count += md->owner[i] == i;
	assert_int_equal(iova_tree_count(t), count);
	free(md);
}

static int collect(const struct iova_map *m, void *opaque)
{
	uint64_t *prev = opaque;

	assert_true(m->start > *prev || *prev == UINT64_MAX);
	*prev = m->start;
	return m->start == 300 ? 42 : 0;
}

static void test_foreach_order(void **state)
{
	struct iova_tree *t = *state;
	uint64_t prev = UINT64_MAX;

	assert_int_equal(iova_tree_insert(t, 500, 599, 0, 0), 0);
	assert_int_equal(iova_tree_insert(t, 100, 199, 0, 0), 0);
	assert_int_equal(iova_tree_insert(t, 300, 399, 0, 0), 0);
	/* Stops at 300 with its value, having visited 100 first. */
	assert_int_equal(iova_tree_foreach(t, collect, &prev), 42);
	assert_int_equal(prev, 300);
	iova_tree_clear(t);
	assert_int_equal(iova_tree_count(t), 0);
	assert_null(iova_tree_find(t, 150));
	assert_true(iova_tree_node_size() + 8 <= 64);
}

/* Partial ranges go node by node and keep the tree balanced; a range that
 * holds every mapping (but need not start at 0) empties it in one pass. */
static void test_remove_range(void **state)
{
	struct iova_tree *t = *state;

	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(iova_tree_insert(t, 0x1000 + i * 0x100, 0x1000 + i * 0x100 + 0xff,
						  i, 3), 0);
	assert_int_equal(iova_tree_remove_range(t, 0, 0xfff), 0);
	assert_int_equal(iova_tree_remove_range(t, 0x1000, 0x1000 + 100 * 0x100 - 1), 100);
	assert_int_equal(iova_tree_count(t), 900);
	assert_null(iova_tree_find(t, 0x1000 + 99 * 0x100));
	assert_non_null(iova_tree_find(t, 0x1000 + 100 * 0x100));
	assert_true(iova_tree_height(t) <= 14);		/* AVL bound for 900 nodes */
	assert_int_equal(iova_tree_remove_range(t, 0x1000 + 999 * 0x100, UINT64_MAX), 1);
	assert_int_equal(iova_tree_remove_range(t, 0x1000 + 100 * 0x100, 0x1000 + 998 * 0x100 + 0xff),
			 899);
	assert_int_equal(iova_tree_count(t), 0);
	assert_int_equal(iova_tree_height(t), 0);
	assert_int_equal(iova_tree_remove_range(t, 0, UINT64_MAX), 0);
	assert_int_equal(iova_tree_insert(t, UINT64_MAX - 0xfff, UINT64_MAX, 0, 3), 0);
	assert_int_equal(iova_tree_remove_range(t, 0, UINT64_MAX), 1);
	assert_null(iova_tree_find(t, UINT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_lookup_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_overlap_and_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_balance_sequential, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_vs_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_range, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
