// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device event loop: one thread blocked in epoll_wait on the registered
 * fds plus a stop eventfd. Callbacks are looked up by a registration id under
 * the lock and run without it, so a callback may add or remove watches; after
 * evloop_del returns from another thread, a callback already running may finish
 * (evloop_defer runs cleanup after it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/evloop.h"

#define EVLOOP_BATCH	16
#define EVLOOP_STOP_ID	0		/* epoll id of the stop eventfd */
#define EVLOOP_JOB_ID	UINT64_MAX	/* epoll id of the deferred-job eventfd */

struct evloop_watch {
	int fd;
	uint64_t id;			/* never reused; 0 = free slot */
	evloop_cb cb;
	void *opaque;
};

struct evloop_job {
	evloop_cb fn;
	void *arg;
	struct evloop_job *next;
};

struct evloop {
	int epfd;
	int stopfd;
	int jobfd;
	pthread_t thread;
	bool running;			/* only touched by start/stop callers */
	pthread_mutex_t lock;		/* protects w[], n, cap, next_id, jobs */
	struct evloop_job *jobs;	/* deferred, oldest last */
	struct evloop_watch *w;
	size_t n, cap;
	uint64_t next_id;
};

struct evloop *evloop_create(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EVLOOP_STOP_ID };
	struct epoll_event jev = { .events = EPOLLIN, .data.u64 = EVLOOP_JOB_ID };

	if (!loop)
		return NULL;
	pthread_mutex_init(&loop->lock, NULL);
	loop->next_id = 1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loop->jobfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->stopfd < 0 || loop->jobfd < 0 ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->stopfd, &ev) ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->jobfd, &jev))
		goto err_close;
	return loop;
err_close:
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->stopfd >= 0)
		close(loop->stopfd);
	if (loop->jobfd >= 0)
		close(loop->jobfd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
	return NULL;
}

/* Run every queued job (on the loop thread, or with the thread stopped). */
static void run_jobs(struct evloop *loop)
{
	struct evloop_job *j, *prev = NULL, *next;
	uint64_t drain;

	if (read(loop->jobfd, &drain, sizeof(drain)) < 0)
		drain = 0;
	pthread_mutex_lock(&loop->lock);
	j = loop->jobs;
	loop->jobs = NULL;
	pthread_mutex_unlock(&loop->lock);
	for (; j; j = next) {		/* newest first: reverse to run in order */
		next = j->next;
		j->next = prev;
		prev = j;
	}
	for (j = prev; j; j = next) {
		next = j->next;
		j->fn(j->arg);
		free(j);
	}
}

int evloop_defer(struct evloop *loop, evloop_cb fn, void *arg)
{
	struct evloop_job *j = malloc(sizeof(*j));
	uint64_t one = 1;

	if (!j)
		return -ENOMEM;
	*j = (struct evloop_job){ fn, arg, NULL };
	pthread_mutex_lock(&loop->lock);
	j->next = loop->jobs;
	loop->jobs = j;
	pthread_mutex_unlock(&loop->lock);
	/* A full counter still wakes the loop; nothing to do on failure. */
	if (write(loop->jobfd, &one, sizeof(one)) < 0)
		one = 0;
	return 0;
}

void evloop_destroy(struct evloop *loop)
{
	if (!loop)
		return;
	evloop_stop(loop);
	run_jobs(loop);
	close(loop->epfd);
	close(loop->stopfd);
	close(loop->jobfd);
	pthread_mutex_destroy(&loop->lock);
	free(loop->w);
	free(loop);
}

static int grow_locked(struct evloop *loop)
{
	size_t cap = loop->cap ? loop->cap * 2 : 8;
	struct evloop_watch *w;

	if (loop->n < loop->cap)
		return 0;
	w = realloc(loop->w, cap * sizeof(*w));
	if (!w)
		return -ENOMEM;
	loop->w = w;
	loop->cap = cap;
	return 0;
}

static ssize_t find_fd_locked(const struct evloop *loop, int fd)
{
	for (size_t i = 0; i < loop->n; i++)
		if (loop->w[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

int evloop_add(struct evloop *loop, int fd, evloop_cb cb, void *opaque)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	if (fd < 0 || !cb)
		return -EINVAL;
	pthread_mutex_lock(&loop->lock);
	ret = find_fd_locked(loop, fd) >= 0 ? -EEXIST : grow_locked(loop);
	if (ret)
		goto out;
	ev.data.u64 = loop->next_id;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		goto out;
	}
	loop->w[loop->n++] = (struct evloop_watch){ fd, loop->next_id++, cb, opaque };
out:
	pthread_mutex_unlock(&loop->lock);
	return ret;
}

int evloop_del(struct evloop *loop, int fd)
{
	ssize_t i;
	int ret = 0;

	pthread_mutex_lock(&loop->lock);
	i = find_fd_locked(loop, fd);
	if (i < 0) {
		ret = -ENOENT;
		goto out;
	}
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->w[i] = loop->w[--loop->n];
out:
	pthread_mutex_unlock(&loop->lock);
	return ret;
}

/* Copy out the watch with this id; false if it was removed meanwhile. */
static bool lookup_id(struct evloop *loop, uint64_t id, struct evloop_watch *out)
{
	bool found = false;

	pthread_mutex_lock(&loop->lock);
	for (size_t i = 0; i < loop->n && !found; i++) {
		if (loop->w[i].id == id) {
			*out = loop->w[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&loop->lock);
	return found;
}

static void *evloop_thread(void *arg)
{
	struct evloop *loop = arg;
	struct epoll_event ev[EVLOOP_BATCH];
	struct evloop_watch w;

	for (;;) {
		int n = epoll_wait(loop->epfd, ev, EVLOOP_BATCH, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == EVLOOP_STOP_ID)
				return NULL;
			if (ev[i].data.u64 == EVLOOP_JOB_ID)
				run_jobs(loop);
			else if (lookup_id(loop, ev[i].data.u64, &w))
				w.cb(w.opaque);
		}
	}
	return NULL;
}

int evloop_start(struct evloop *loop)
{
	int ret;

	if (loop->running)
		return -EBUSY;
	ret = pthread_create(&loop->thread, NULL, evloop_thread, loop);
	if (ret)
		return -ret;
	loop->running = true;
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	uint64_t one = 1, drain;

	if (!loop->running)
		return;
	if (write(loop->stopfd, &one, sizeof(one)) != sizeof(one))
		return;
	pthread_join(loop->thread, NULL);
	if (read(loop->stopfd, &drain, sizeof(drain)) < 0)
		drain = 0;
	loop->running = false;
	run_jobs(loop);		/* no callback can be running any more */
}
