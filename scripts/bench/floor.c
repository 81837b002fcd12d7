// SPDX-License-Identifier: GPL-2.0
/* floor — runs a command under the one-counter probe of floor.bpf.c and reports its count.
 *
 *   floor [--empty] [--pid N] --out FILE -- CMD [ARGS...]
 *
 * The command is forked first and held on a pipe, because the probe's filter is a load-time
 * constant: the child's pid has to exist before the program is loaded. Only once the program is
 * attached is the child let go, so that every syscall it makes is seen. FILE gets
 *   wall_ns=<release → reap of the command>   count=<syscalls the probe counted>   status=<wait status>
 * and, from the kernel's statistics of the program (non-zero only while kernel.bpf_stats_enabled is on),
 *   run_cnt=<runs>   run_time_ns=<their total time>
 * and floor exits with the command's exit status (128+N if a signal N killed it).
 *
 * --pid N counts the syscalls of process N (a server, already running) instead of CMD's, while CMD (its
 * load generator, say) runs: as `zctrace -p N -- CMD`.
 *
 * --empty loads a program that returns at once instead (no filter, no counter): with the statistics on,
 * its time per run is the statistics' own cost (the clock reads around each run), which the benchmark
 * takes off zctrace's programs' figures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* libbpf's debug chatter would land in the benchmark's logs on every run; warnings still matter. */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int shell_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Holds the child until one byte arrives; EOF means the loader failed, and then the command must
 * not run at all (an untraced run would be mistaken for a traced one). */
static pid_t fork_held(char **argv, int *go_fd)
{
	int go[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) != 0) {
		perror("floor: pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("floor: fork");
		return -1;
	}
	if (pid == 0) {
		char byte;
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "floor: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	*go_fd = go[1];
	return pid;
}

static int usage(void)
{
	fprintf(stderr, "usage: floor [--empty] [--pid N] --out FILE -- CMD [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	struct bpf_program *prog;
	int empty = 0;
	long target = 0;
	char *end_of_number;
	struct floor_bpf *skel = NULL;
	int go_fd = -1, status = 0, argi = 1, err;
	pid_t child;
	uint64_t start, end, total = 0;
	FILE *out;

	while (argi < argc && strcmp(argv[argi], "--") != 0) {
		if (strcmp(argv[argi], "--out") == 0 && argi + 1 < argc) {
			out_path = argv[argi + 1];
			argi += 2;
		} else if (strcmp(argv[argi], "--pid") == 0 && argi + 1 < argc) {
			target = strtol(argv[argi + 1], &end_of_number, 10);
			if (*end_of_number || target <= 0 || kill((pid_t)target, 0) != 0) {
				fprintf(stderr, "floor: --pid %s: no such process\n", argv[argi + 1]);
				return 2;
			}
			argi += 2;
		} else if (strcmp(argv[argi], "--empty") == 0) {
			empty = 1;
			argi++;
		} else {
			return usage();
		}
	}
	if (!out_path || argi + 1 >= argc)
		return usage();
	libbpf_set_print(quiet_libbpf);

	child = fork_held(&argv[argi + 1], &go_fd);
	if (child < 0)
		return 1;

	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		goto abandon;
	}
	skel->rodata->target_tgid = (__u32)(target ? target : child);
	prog = empty ? skel->progs.empty_sys_exit : skel->progs.floor_sys_exit;
	bpf_program__set_autoload(empty ? skel->progs.floor_sys_exit : skel->progs.empty_sys_exit, false);
	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load/attach the probe: %s\n", strerror(-err));
		goto abandon;
	}

	/* The clock starts at the release, like the command's own run would start: what is measured
	 * is the command running under the probe, not the probe's load (which bench-exec's
	 * end-to-end time around this whole program still shows). */
	start = now_ns();
	if (write(go_fd, "g", 1) != 1) {
		perror("floor: releasing the command");
		goto abandon;
	}
	close(go_fd);
	go_fd = -1;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("floor: waitpid");
			floor_bpf__destroy(skel);
			return 1;
		}
	}
	end = now_ns();

	{
		/* A per-CPU array's value is one slot per possible CPU, each rounded up to 8 bytes. */
		int ncpus = libbpf_num_possible_cpus();
		__u32 key = 0;
		__u64 *values;

		if (ncpus <= 0) {
			fprintf(stderr, "floor: cannot count the CPUs\n");
			floor_bpf__destroy(skel);
			return 1;
		}
		values = calloc((size_t)ncpus, sizeof(*values));
		if (!values || bpf_map__lookup_elem(skel->maps.syscalls, &key, sizeof(key), values,
						    sizeof(*values) * (size_t)ncpus, 0) != 0) {
			fprintf(stderr, "floor: cannot read the counter\n");
			free(values);
			floor_bpf__destroy(skel);
			return 1;
		}
		for (int i = 0; i < ncpus; i++)
			total += values[i];
		free(values);
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len) != 0)
		memset(&info, 0, sizeof(info));
	floor_bpf__destroy(skel);

	out = fopen(out_path, "w");
	if (!out) {
		fprintf(stderr, "floor: cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	fprintf(out, "wall_ns=%" PRIu64 "\ncount=%" PRIu64 "\nstatus=%d\n", end - start, total, status);
	fprintf(out, "run_cnt=%" PRIu64 "\nrun_time_ns=%" PRIu64 "\n", (uint64_t)info.run_cnt,
		(uint64_t)info.run_time_ns);
	if (fclose(out) != 0) {
		fprintf(stderr, "floor: writing %s failed\n", out_path);
		return 1;
	}
	return shell_status(status);

abandon:
	/* Closing the pipe makes the held child exit without exec; reap it so no zombie is left. */
	if (go_fd >= 0)
		close(go_fd);
	waitpid(child, &status, 0);
	floor_bpf__destroy(skel);
	return 1;
}
