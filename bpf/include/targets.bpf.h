/* SPDX-License-Identifier: GPL-2.0 */
/* targets.bpf.h — which new processes start being traced besides the children of traced ones: those that enter
 * the target cgroup (or one below it), and those that exec a program of the target name. */
#ifndef ZCTRACE_TARGETS_BPF_H
#define ZCTRACE_TARGETS_BPF_H

/* --cgroup: the cgroup v2 id (its directory's inode) of the target; 0 for none. */
const volatile __u64 target_cgroup_id = 0;
/* -a (and top): every process on the machine, from its fork on (userspace adds those already there). */
const volatile bool target_all = false;
/* --comm: the name a process must have (the kernel's comm, 15 bytes at most, zero-padded); empty for none. */
const volatile char target_comm[ZC_COMM_LEN] = {};

/* Nesting deeper than this below the target is not followed (systemd's slices nest 3-5 deep). */
#define ZC_CGROUP_WALK 32

/* The task's cgroup on the unified (v2) hierarchy: every css_set has one, also on a hybrid layout where
 * the v1 hierarchies hold the controllers. */
static __always_inline struct cgroup *unified_cgroup_of(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp);
}

static __always_inline __u64 cgroup_id_of(struct cgroup *cgrp)
{
	return cgrp ? BPF_CORE_READ(cgrp, kn, id) : 0;
}

/* Whether the task's unified cgroup is the target or below it: a walk up its parents (a cgroup's `self` is
 * its first member, so its css parent is the parent cgroup). */
static __always_inline bool in_target_cgroup(struct task_struct *task)
{
	struct cgroup *cgrp = unified_cgroup_of(task);

	if (!target_cgroup_id)
		return false;
	for (int i = 0; i < ZC_CGROUP_WALK && cgrp; i++) {
		if (BPF_CORE_READ(cgrp, kn, id) == target_cgroup_id)
			return true;
		cgrp = (struct cgroup *)BPF_CORE_READ(cgrp, self.parent);
	}
	return false;
}

/* Whether a new process is one of the targets that fork brings: every one with -a (kernel threads make no
 * system calls), or one in the target cgroup. */
static __always_inline bool forked_into_target(struct task_struct *child)
{
	if (target_all)
		return !(BPF_CORE_READ(child, flags) & PF_KTHREAD);
	return in_target_cgroup(child);
}

/* Whether the task's name is the target's, compared as two words of zero-padded comm. */
static __always_inline bool has_target_comm(struct task_struct *task)
{
	union {
		char chars[ZC_COMM_LEN];
		__u64 words[ZC_COMM_LEN / 8];
	} comm = {};

	if (!target_comm[0])
		return false;
	BPF_CORE_READ_STR_INTO(&comm.chars, task, comm);
	return comm.words[0] == ((const volatile __u64 *)target_comm)[0] &&
	       comm.words[1] == ((const volatile __u64 *)target_comm)[1];
}

#endif /* ZCTRACE_TARGETS_BPF_H */
