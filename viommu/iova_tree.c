// SPDX-License-Identifier: GPL-2.0-only
/*
 * AVL tree of disjoint IOVA ranges. Each node is one guest MAP request:
 * 32 bytes of mapping, two child pointers and a height (56 bytes, one
 * 64-byte malloc chunk). No per-page state. Height <= 1.44 log2(n + 2), so
 * the recursive insert/remove stays shallow (about 30 levels at 1M nodes).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "viommu/iova_tree.h"

struct iova_node {
	struct iova_map m;		/* first: a node pointer is a map pointer */
	struct iova_node *left, *right;
	int height;			/* 1 for a leaf */
};

struct iova_tree {
	struct iova_node *root;
	size_t count;
};

struct iova_tree *iova_tree_create(void)
{
	return calloc(1, sizeof(struct iova_tree));
}

static void free_nodes(struct iova_node *n)
{
	/* Iterative on the right spine so a degenerate tree cannot blow the stack. */
	while (n) {
		struct iova_node *right = n->right;

		free_nodes(n->left);
		free(n);
		n = right;
	}
}

void iova_tree_clear(struct iova_tree *t)
{
	free_nodes(t->root);
	t->root = NULL;
	t->count = 0;
}

void iova_tree_destroy(struct iova_tree *t)
{
	if (!t)
		return;
	iova_tree_clear(t);
	free(t);
}

static int height(const struct iova_node *n)
{
	return n ? n->height : 0;
}

static void update(struct iova_node *n)
{
	int hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
}

static struct iova_node *rotate_right(struct iova_node *n)
{
	struct iova_node *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct iova_node *rotate_left(struct iova_node *n)
{
	struct iova_node *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct iova_node *rebalance(struct iova_node *n)
{
	int bal;

	update(n);
	bal = height(n->left) - height(n->right);
	if (bal > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bal < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

/* The caller checked that new does not overlap anything. */
static struct iova_node *insert_node(struct iova_node *n, struct iova_node *new)
{
	if (!n)
		return new;
	if (new->m.start < n->m.start)
		n->left = insert_node(n->left, new);
	else
		n->right = insert_node(n->right, new);
	return rebalance(n);
}

int iova_tree_insert(struct iova_tree *t, uint64_t start, uint64_t last,
		     uint64_t gpa, uint32_t flags)
{
	struct iova_node *n;

	if (last < start)
		return -EINVAL;
	if (iova_tree_first_overlap(t, start, last))
		return -EEXIST;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct iova_node){
		.m = { .start = start, .last = last, .gpa = gpa, .flags = flags },
		.height = 1,
	};
	t->root = insert_node(t->root, n);
	t->count++;
	return 0;
}

/* Detach the minimum of subtree n into *min; returns the new subtree root. */
static struct iova_node *take_min(struct iova_node *n, struct iova_node **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = take_min(n->left, min);
	return rebalance(n);
}

static struct iova_node *remove_node(struct iova_node *n, uint64_t start,
				     struct iova_node **gone)
{
	struct iova_node *succ;

	if (!n)
		return NULL;
	if (start < n->m.start) {
		n->left = remove_node(n->left, start, gone);
	} else if (start > n->m.start) {
		n->right = remove_node(n->right, start, gone);
	} else {
		*gone = n;
		if (!n->left || !n->right)
			return n->left ? n->left : n->right;
		n->right = take_min(n->right, &succ);
		succ->left = n->left;
		succ->right = n->right;
		n = succ;
	}
	return rebalance(n);
}

int iova_tree_remove(struct iova_tree *t, uint64_t start)
{
	struct iova_node *gone = NULL;

	t->root = remove_node(t->root, start, &gone);
	if (!gone)
		return -ENOENT;
	free(gone);
	t->count--;
	return 0;
}

/* Lowest node with last >= iova (ranges are disjoint, so last grows with start). */
static const struct iova_node *lower_bound(const struct iova_node *n, uint64_t iova)
{
	const struct iova_node *best = NULL;

	while (n) {
		if (n->m.last >= iova) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

const struct iova_map *iova_tree_first_overlap(const struct iova_tree *t,
					       uint64_t start, uint64_t last)
{
	const struct iova_node *n;

	if (last < start)
		return NULL;
	n = lower_bound(t->root, start);
	return n && n->m.start <= last ? &n->m : NULL;
}

const struct iova_map *iova_tree_last_overlap(const struct iova_tree *t,
					      uint64_t start, uint64_t last)
{
	const struct iova_node *n = t->root, *best = NULL;

	if (last < start)
		return NULL;
	while (n) {
		if (n->m.start <= last) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best && best->m.last >= start ? &best->m : NULL;
}

static const struct iova_node *extreme(const struct iova_node *n, bool right)
{
	while (n && (right ? n->right : n->left))
		n = right ? n->right : n->left;
	return n;
}

size_t iova_tree_remove_range(struct iova_tree *t, uint64_t start, uint64_t last)
{
	const struct iova_map *m;
	size_t gone = 0;
	uint64_t next;

	if (!t->root)
		return 0;
	if (extreme(t->root, false)->m.start >= start && extreme(t->root, true)->m.last <= last) {
		gone = t->count;
		iova_tree_clear(t);
		return gone;
	}
	for (next = start; (m = iova_tree_first_overlap(t, next, last)); ) {
		next = m->last;
		iova_tree_remove(t, m->start);
		gone++;
		if (next == last)
			break;
		next++;
	}
	return gone;
}

const struct iova_map *iova_tree_find(const struct iova_tree *t, uint64_t iova)
{
	return iova_tree_first_overlap(t, iova, iova);
}

const struct iova_map *iova_tree_next(const struct iova_tree *t, uint64_t iova)
{
	const struct iova_node *n = t->root, *best = NULL;

	while (n) {
		if (n->m.start > iova) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best ? &best->m : NULL;
}

size_t iova_tree_count(const struct iova_tree *t)
{
	return t->count;
}

int iova_tree_height(const struct iova_tree *t)
{
	return height(t->root);
}

size_t iova_tree_node_size(void)
{
	return sizeof(struct iova_node);
}

static int walk(const struct iova_node *n,
		int (*fn)(const struct iova_map *m, void *opaque), void *opaque)
{
	int ret;

	while (n) {
		ret = walk(n->left, fn, opaque);
		if (ret)
			return ret;
		ret = fn(&n->m, opaque);
		if (ret)
			return ret;
		n = n->right;
	}
	return 0;
}

int iova_tree_foreach(const struct iova_tree *t,
		      int (*fn)(const struct iova_map *m, void *opaque), void *opaque)
{
	return walk(t->root, fn, opaque);
}
