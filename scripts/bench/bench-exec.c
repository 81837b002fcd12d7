// SPDX-License-Identifier: GPL-2.0
/* bench-exec — runs one command and writes what the overhead benchmark needs to know about the run.
 *
 *   bench-exec --out FILE [--parent-cpu] [--exit-usage] [--hold PIDFILE] -- CMD [ARGS...]
 *
 * FILE gets key=value lines:
 *   wall_ns         CMD's release (just before its exec) → its reap, on CLOCK_MONOTONIC (always).
 *                   Starting at the release, not the fork, makes it the same span floor measures.
 *   status          CMD's wait status (always)
 *   cpu_ns          CPU time (user + system) of CMD and the descendants it reaped, from
 *                   getrusage(RUSAGE_CHILDREN) once CMD is reaped (always): the work the run took,
 *                   which a loopback transfer's wall time, two processes trading a socket, shows only
 *                   through the noise of their scheduling
 *   parent_cpu_ns   --parent-cpu: CPU time bench-exec's PARENT used while CMD ran
 *   self_*, vmhwm_kb  --exit-usage: CMD's own CPU time and peak RSS, taken as it exits
 * and bench-exec exits with CMD's status (128+N when a signal N killed it).
 *
 * --hold PIDFILE forks CMD but keeps it from exec'ing, writes its pid to PIDFILE and waits for
 * SIGUSR1 before letting it go: a tracer that filters on a pid (bpftrace's `/pid == N/`) can then
 * be started on it and be attached before CMD makes its first syscall.
 *
 * Why these two probes of CPU time, for zctrace's collector (`bench-exec --exit-usage -- zctrace
 * -- bench-exec --parent-cpu -- WORKLOAD`):
 *
 * - The traced workload is zctrace's child, so anything measured from outside zctrace after it exits
 *   (wait4's rusage, /usr/bin/time, /proc/<pid>/stat's cutime) mixes the workload's CPU time in.
 *   The fields that are zctrace's alone are the per-thread counters in /proc/<pid>: schedstat's
 *   on-CPU nanoseconds and stat's utime/stime. They exist only while the process does, so they are
 *   read at the two moments that matter from the two processes placed there:
 * - --parent-cpu, in the workload wrapper (zctrace's direct child): the collector's CPU time just
 *   before the workload starts and just after it ends. The difference is what the collector costs
 *   WHILE tracing, the steady-state figure the "< 1% of a core" goal is about. The BPF programs'
 *   run time is not in it: they run in the traced tasks' context and show in the workload's wall.
 * - --exit-usage, around zctrace: a ptrace seize with only PTRACE_O_TRACEEXIT stops the process at
 *   the very start of its exit, before its memory is released (so /proc/<pid>/status still has
 *   VmHWM) and after all its work (load, verification, tracing, report). No syscall is traced and
 *   nothing else stops, so the collector runs at full speed; the one stop costs microseconds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* utime and stime of the whole thread group, in ns (clock-tick resolution). Fields 14 and 15 of
 * /proc/<pid>/stat; counted from the last ')' because the command name may contain anything. */
static int stat_times_ns(pid_t pid, uint64_t *utime_ns, uint64_t *stime_ns)
{
	char path[64], buf[4096], *p;
	unsigned long long utime = 0, stime = 0;
	long ticks = sysconf(_SC_CLK_TCK);
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) != 0 || ticks <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (p++; *p && field < 15;) {
		while (*p == ' ')
			p++;
		field++;
		if (field == 14)
			utime = strtoull(p, NULL, 10);
		else if (field == 15)
			stime = strtoull(p, NULL, 10);
		while (*p && *p != ' ')
			p++;
	}
	if (field < 15)
		return -1;
	*utime_ns = utime * (1000000000ull / (unsigned long long)ticks);
	*stime_ns = stime * (1000000000ull / (unsigned long long)ticks);
	return 0;
}

/* On-CPU time of every live thread of pid, in ns, from /proc/<pid>/task/<tid>/schedstat (nanosecond
 * accurate, unlike stat's 10 ms ticks). Falls back to stat's utime+stime when the kernel has no
 * schedstat (CONFIG_SCHED_INFO off). Returns -1 if the process is gone. */
static int64_t process_cpu_ns(pid_t pid)
{
	char path[320], buf[256]; /* room for any d_name */
	struct dirent *d;
	DIR *dir;
	uint64_t total = 0;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, d->d_name);
		if (read_small_file(path, buf, sizeof(buf)) == 0) {
			total += strtoull(buf, NULL, 10);
			found = 1;
		}
	}
	closedir(dir);
	if (!found) {
		uint64_t u, s;
		if (stat_times_ns(pid, &u, &s) != 0)
			return -1;
		total = u + s;
	}
	return (int64_t)total;
}

static long vmhwm_kb(pid_t pid)
{
	char path[64], buf[8192], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) != 0)
		return -1;
	p = strstr(buf, "\nVmHWM:");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: bench-exec --out FILE [--parent-cpu] [--exit-usage] [--hold PIDFILE] -- CMD [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *out_path = NULL, *hold_path = NULL;
	int parent_cpu = 0, exit_usage = 0, argi = 1, status = 0, go[2];
	int64_t parent_before = -1, parent_after = -1, self_cpu = -1;
	uint64_t self_utime = 0, self_stime = 0, start, end, cpu = 0;
	struct rusage reaped;
	long hwm = -1;
	int have_stat = 0;
	pid_t parent = getppid(), child;
	FILE *out;

	while (argi < argc && strcmp(argv[argi], "--") != 0) {
		if (strcmp(argv[argi], "--out") == 0 && argi + 1 < argc) {
			out_path = argv[++argi];
		} else if (strcmp(argv[argi], "--hold") == 0 && argi + 1 < argc) {
			hold_path = argv[++argi];
		} else if (strcmp(argv[argi], "--parent-cpu") == 0) {
			parent_cpu = 1;
		} else if (strcmp(argv[argi], "--exit-usage") == 0) {
			exit_usage = 1;
		} else {
			return usage();
		}
		argi++;
	}
	if (!out_path || argi + 1 >= argc)
		return usage();
	argv += argi + 1;

	/* The child waits on this pipe so that the ptrace seize is in place before it execs; the
	 * handshake is done in every mode, so that all variants pay the same (tiny) start-up. */
	if (pipe2(go, O_CLOEXEC) != 0) {
		perror("bench-exec: pipe");
		return 1;
	}
	if (hold_path) {
		/* Blocked before the fork so that a SIGUSR1 sent as soon as the pid is known is
		 * kept pending for sigwait, never lost or fatal. */
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
	}
	if (parent_cpu)
		parent_before = process_cpu_ns(parent);
	child = fork();
	if (child < 0) {
		perror("bench-exec: fork");
		return 1;
	}
	if (child == 0) {
		char byte;
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "bench-exec: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	if (exit_usage &&
	    ptrace(PTRACE_SEIZE, child, 0, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL)) != 0) {
		perror("bench-exec: ptrace(PTRACE_SEIZE)");
		close(go[1]);
		waitpid(child, &status, 0);
		return 1;
	}
	if (hold_path) {
		/* Written to a temporary name and renamed, so that a reader polling for the file
		 * never sees it half written. */
		char tmp[4096];
		FILE *pf;
		sigset_t usr1;
		int sig = 0;

		snprintf(tmp, sizeof(tmp), "%s.tmp", hold_path);
		pf = fopen(tmp, "w");
		if (!pf || fprintf(pf, "%d\n", (int)child) < 0 || fclose(pf) != 0 || rename(tmp, hold_path) != 0) {
			perror("bench-exec: writing the --hold pid file");
			close(go[1]);
			waitpid(child, &status, 0);
			return 1;
		}
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		while (sigwait(&usr1, &sig) != 0 || sig != SIGUSR1) {
		}
	}
	start = now_ns();
	if (write(go[1], "g", 1) != 1) {
		perror("bench-exec: releasing the command");
		return 1;
	}
	close(go[1]);

	for (;;) {
		if (waitpid(child, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("bench-exec: waitpid");
			return 1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			/* The command is exiting: everything it will ever run has run, its memory is
			 * still mapped. */
			self_cpu = process_cpu_ns(child);
			have_stat = stat_times_ns(child, &self_utime, &self_stime) == 0;
			hwm = vmhwm_kb(child);
			ptrace(PTRACE_CONT, child, 0, 0);
		} else if (status >> 16 == PTRACE_EVENT_STOP) {
			/* A group-stop under PTRACE_SEIZE: leave the command stopped as it asked,
			 * without us blocking its SIGCONT. */
			ptrace(PTRACE_LISTEN, child, 0, 0);
		} else {
			/* Any other stop is a signal on its way: deliver it unchanged. */
			ptrace(PTRACE_CONT, child, 0, (void *)(long)WSTOPSIG(status));
		}
	}
	end = now_ns();
	if (parent_cpu)
		parent_after = process_cpu_ns(parent);
	/* CMD is bench-exec's only child: the reaped children's usage is CMD's (and its reaped tree's) */
	if (getrusage(RUSAGE_CHILDREN, &reaped) == 0)
		cpu = (uint64_t)(reaped.ru_utime.tv_sec + reaped.ru_stime.tv_sec) * 1000000000ull +
		      (uint64_t)(reaped.ru_utime.tv_usec + reaped.ru_stime.tv_usec) * 1000ull;

	out = fopen(out_path, "w");
	if (!out) {
		fprintf(stderr, "bench-exec: cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	fprintf(out, "wall_ns=%" PRIu64 "\nstatus=%d\n", end - start, status);
	if (cpu)
		fprintf(out, "cpu_ns=%" PRIu64 "\n", cpu);
	if (parent_cpu && parent_before >= 0 && parent_after >= 0)
		fprintf(out, "parent_pid=%d\nparent_cpu_ns=%" PRId64 "\n", (int)parent,
			parent_after - parent_before);
	if (exit_usage && self_cpu >= 0)
		fprintf(out, "self_cpu_ns=%" PRId64 "\n", self_cpu);
	if (exit_usage && have_stat)
		fprintf(out, "self_utime_ns=%" PRIu64 "\nself_stime_ns=%" PRIu64 "\n", self_utime,
			self_stime);
	if (exit_usage && hwm >= 0)
		fprintf(out, "vmhwm_kb=%ld\n", hwm);
	if (fclose(out) != 0) {
		fprintf(stderr, "bench-exec: writing %s failed\n", out_path);
		return 1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
