// SPDX-License-Identifier: GPL-2.0-only
/*
 * Event loop tests: a callback runs on the loop thread when its eventfd is
 * signalled, removed fds no longer fire, duplicate adds are refused, and
 * stop/destroy return promptly with or without a running thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/evloop.h"

struct counter {
	int fd;
	int hits;			/* atomic */
	pthread_t thread;		/* thread the callback ran on */
};

static void on_event(void *opaque)
{
	struct counter *c = opaque;
	uint64_t v;

	if (read(c->fd, &v, sizeof(v)) != sizeof(v))
		return;
	/* thread is written before the count that publishes it: the test reads
	 * it only after seeing the count. */
	c->thread = pthread_self();
	__atomic_add_fetch(&c->hits, (int)v, __ATOMIC_SEQ_CST);
}

static void kick(int fd, uint64_t n)
{
	assert_int_equal(write(fd, &n, sizeof(n)), sizeof(n));
}

/* Wait up to 2 s for hits to reach want. */
static int wait_hits(struct counter *c, int want)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 2000 && __atomic_load_n(&c->hits, __ATOMIC_SEQ_CST) < want; i++)
		nanosleep(&ts, NULL);
	return __atomic_load_n(&c->hits, __ATOMIC_SEQ_CST);
}

static void test_callback_runs(void **state)
{
	struct evloop *loop = evloop_create();
	struct counter c = { .fd = eventfd(0, EFD_NONBLOCK) };

	assert_non_null(loop);
	assert_int_equal(evloop_add(loop, c.fd, on_event, &c), 0);
	assert_int_equal(evloop_add(loop, c.fd, on_event, &c), -EEXIST);
	assert_int_equal(evloop_add(loop, -1, on_event, &c), -EINVAL);
	assert_int_equal(evloop_start(loop), 0);
	assert_int_equal(evloop_start(loop), -EBUSY);
	kick(c.fd, 3);
	assert_int_equal(wait_hits(&c, 3), 3);
	assert_false(pthread_equal(c.thread, pthread_self()));
	assert_int_equal(evloop_del(loop, c.fd), 0);
	assert_int_equal(evloop_del(loop, c.fd), -ENOENT);
	kick(c.fd, 1);
	usleep(50000);
	assert_int_equal(__atomic_load_n(&c.hits, __ATOMIC_SEQ_CST), 3);
	evloop_stop(loop);
	evloop_stop(loop);
	evloop_destroy(loop);
	close(c.fd);
}

static void test_destroy_without_start(void **state)
{
	struct evloop *loop = evloop_create();
	struct counter c = { .fd = eventfd(0, EFD_NONBLOCK) };

	assert_non_null(loop);
	assert_int_equal(evloop_add(loop, c.fd, on_event, &c), 0);
	evloop_destroy(loop);
	close(c.fd);
}

/* A callback that is running while another thread removes its watch. */
struct slow {
	int fd;
	int entered, left;		/* atomic */
	int job_saw_left;		/* atomic: left, as seen by the deferred job */
	int jobs;			/* atomic */
};

static void slow_cb(void *opaque)
{
	struct slow *s = opaque;
	uint64_t v;

	if (read(s->fd, &v, sizeof(v)) != sizeof(v))
		return;
	__atomic_store_n(&s->entered, 1, __ATOMIC_SEQ_CST);
	usleep(100000);			/* the remover acts meanwhile */
	__atomic_store_n(&s->left, 1, __ATOMIC_SEQ_CST);
}

static void slow_job(void *opaque)
{
	struct slow *s = opaque;

	__atomic_store_n(&s->job_saw_left, __atomic_load_n(&s->left, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->jobs, 1, __ATOMIC_SEQ_CST);
}

/* evloop_defer runs after the callback that was already running. */
static void test_defer_after_running_callback(void **state)
{
	struct evloop *loop = evloop_create();
	struct slow s = { .fd = eventfd(0, EFD_NONBLOCK) };
	struct timespec ts = { 0, 1000000 };

	assert_non_null(loop);
	assert_int_equal(evloop_add(loop, s.fd, slow_cb, &s), 0);
	assert_int_equal(evloop_start(loop), 0);
	kick(s.fd, 1);
	for (int i = 0; i < 2000 && !__atomic_load_n(&s.entered, __ATOMIC_SEQ_CST); i++)
		nanosleep(&ts, NULL);
	assert_true(__atomic_load_n(&s.entered, __ATOMIC_SEQ_CST));
	assert_int_equal(evloop_del(loop, s.fd), 0);
	assert_int_equal(__atomic_load_n(&s.left, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(evloop_defer(loop, slow_job, &s), 0);
	for (int i = 0; i < 2000 && !__atomic_load_n(&s.jobs, __ATOMIC_SEQ_CST); i++)
		nanosleep(&ts, NULL);
	assert_int_equal(__atomic_load_n(&s.jobs, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(__atomic_load_n(&s.job_saw_left, __ATOMIC_SEQ_CST), 1);
	evloop_destroy(loop);
	close(s.fd);
}

/* Without a running thread, deferred jobs run at stop/destroy, in order. */
static void test_defer_without_thread(void **state)
{
	struct evloop *loop = evloop_create();
	struct slow s = { .fd = -1 };

	assert_non_null(loop);
	assert_int_equal(evloop_defer(loop, slow_job, &s), 0);
	assert_int_equal(evloop_defer(loop, slow_job, &s), 0);
	assert_int_equal(__atomic_load_n(&s.jobs, __ATOMIC_SEQ_CST), 0);
	evloop_destroy(loop);
	assert_int_equal(s.jobs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defer_after_running_callback),
		cmocka_unit_test(test_defer_without_thread),
		cmocka_unit_test(test_callback_runs),
		cmocka_unit_test(test_destroy_without_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
