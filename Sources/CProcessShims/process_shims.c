#define _GNU_SOURCE
#include "CProcessShims.h"

#include <spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define BW_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define BW_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

// The system calls a decoder process makes once it reads files, and no others: reading its
// request and writing its answer on the descriptors it has, memory, threads and their locks,
// signals to itself, time, and the event loop of the runtime's threads (Dispatch). Listed from
// `strace -f` of the process hashing and showing every test image and video, damaged copies of
// them, and a file that runs it out of memory (docs/pdq.md). Every other call fails with EPERM
// (rather than killing the process, so that a library that tries one reports an error instead of
// crashing): opening files, sockets, starting programs, other processes, the file system,
// io_uring, namespaces, BPF, ioctl, and calls of another ABI (x32, whose numbers are not these).
static const int allowed[] = {
    __NR_read, __NR_readv, __NR_pread64, __NR_write, __NR_writev, __NR_lseek, __NR_close, __NR_fstat,
#ifdef __NR_newfstatat
    __NR_newfstatat,
#endif
    __NR_munmap, __NR_mremap, __NR_madvise, __NR_brk,
    __NR_futex, __NR_set_robust_list, __NR_rseq, __NR_membarrier,
    __NR_sched_yield, __NR_sched_getaffinity, __NR_nanosleep, __NR_clock_nanosleep, __NR_clock_gettime,
    __NR_clock_getres, __NR_gettimeofday, __NR_getrandom,
    __NR_getpid, __NR_getppid, __NR_gettid, __NR_getuid, __NR_geteuid, __NR_getgid, __NR_getegid,
    __NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_rt_sigsuspend, __NR_sigaltstack,
    __NR_restart_syscall, __NR_exit, __NR_exit_group,
#ifdef __NR_epoll_wait
    __NR_epoll_wait,
#endif
    __NR_epoll_pwait, __NR_epoll_ctl, __NR_timerfd_create, __NR_timerfd_settime, __NR_timerfd_gettime,
    __NR_eventfd2,
};

// BPF instructions: load the call's number or the low 32 bits of an argument (x86-64 and arm64
// are little-endian), compare, answer.
#define BW_LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define BW_LOAD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))
#define BW_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define BW_FAIL(error) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (error))

// Writes at `program + n` the 5 instructions that let call `nr` through only when the low 32 bits
// of its argument `arg` pass `test` against `value` (BPF_JEQ: equal; BPF_JSET: a bit of `value`
// set), or, when `allowed_when` is 0, only when they do not; such a call fails with EPERM
// otherwise, and any other call goes on to the next instruction. Returns the new `n`.
static int allow_by_argument(
    struct sock_filter *program, int n, unsigned nr, int arg, unsigned test, unsigned value, int allowed_when) {
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4);
    program[n++] = (struct sock_filter)BW_LOAD_ARG(arg);
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | test | BPF_K, value, allowed_when ? 0 : 1, allowed_when ? 1 : 0);
    program[n++] = (struct sock_filter)BW_ALLOW;
    program[n++] = (struct sock_filter)BW_FAIL(EPERM);
    return n;
}

static int install_filter(void) {
#ifdef BW_AUDIT_ARCH
    enum { count = sizeof allowed / sizeof allowed[0] };
    struct sock_filter program[64 + 2 * count];
    int n = 0;
    // Another architecture (a 32-bit call on x86-64) is refused outright.
    program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BW_AUDIT_ARCH, 1, 0);
    program[n++] = (struct sock_filter)BW_FAIL(EPERM);
    program[n++] = (struct sock_filter)BW_LOAD_NR;
    for (int i = 0; i < count; i++) {
        program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1);
        program[n++] = (struct sock_filter)BW_ALLOW;
    }
    // Memory, but never executable: code written into memory does not run (libraries are loaded
    // before the filter).
    n = allow_by_argument(program, n, __NR_mmap, 2, BPF_JSET, PROT_EXEC, 0);
    n = allow_by_argument(program, n, __NR_mprotect, 2, BPF_JSET, PROT_EXEC, 0);
    // A thread (the runtime starts them), not a process: clone with CLONE_THREAD. clone3's flags
    // are in memory, out of the filter's reach: ENOSYS, so that the C library falls back to clone.
    n = allow_by_argument(program, n, __NR_clone, 0, BPF_JSET, CLONE_THREAD, 1);
#ifdef __NR_clone3
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
    program[n++] = (struct sock_filter)BW_FAIL(ENOSYS);
#endif
    // A signal to a thread of this process only (abort raises SIGABRT so).
    n = allow_by_argument(program, n, __NR_tgkill, 0, BPF_JEQ, (unsigned)getpid(), 1);
    // A thread's own priority (Dispatch sets its threads'; raising it needs a privilege).
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setpriority, 0, 6);
    program[n++] = (struct sock_filter)BW_LOAD_ARG(0);
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PRIO_PROCESS, 0, 3);
    program[n++] = (struct sock_filter)BW_LOAD_ARG(1);
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
    program[n++] = (struct sock_filter)BW_ALLOW;
    program[n++] = (struct sock_filter)BW_FAIL(EPERM);
    // A thread's name.
    n = allow_by_argument(program, n, __NR_prctl, 0, BPF_JEQ, PR_SET_NAME, 1);
    program[n++] = (struct sock_filter)BW_FAIL(EPERM);
    struct sock_fprog filter = {(unsigned short)n, program};
    // On every thread of the process (TSYNC), not only this one: the runtime's threads started
    // before it (Dispatch's, the main thread the command's task left) share its memory, so code
    // taken over on this thread could run on one of them. A positive answer is a thread that
    // could not take the filter.
    long synced = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &filter);
    if (synced < 0) return errno;
    if (synced > 0) return ESRCH;
#endif
    return 0;
}

int bw_process_harden(uint64_t address_space) {
    // Memory malloc hands out holds a fixed pattern (or the kernel's zeros), never what an earlier
    // file left: a damaged HEVC stream leaves parts of libde265's picture unwritten, and libheif
    // 1.15 says nothing. Freed memory is overwritten; a fixed mmap threshold keeps large buffers
    // always mapped fresh, where glibc's moving threshold would serve them from the heap once a
    // large one was freed. (glibc; elsewhere mallopt may not exist.)
#ifdef __GLIBC__
    if (mallopt(M_PERTURB, 0x5a) != 1 || mallopt(M_MMAP_THRESHOLD, 128 * 1024) != 1) return ENOMEM;
#endif
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) return errno;
    if (address_space > 0) {
        struct rlimit space = {(rlim_t)address_space, (rlim_t)address_space};
        if (setrlimit(RLIMIT_AS, &space) != 0) return errno;
    }
    return install_filter();
}

int bw_process_try_denied(char *report, size_t size) {
    int opened = open("/etc/passwd", O_RDONLY);
    int open_error = opened < 0 ? errno : 0;
    if (opened >= 0) close(opened);
    int socket_fd = (int)syscall(__NR_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
    int socket_error = socket_fd < 0 ? errno : 0;
    if (socket_fd >= 0) close(socket_fd);
    // A program that does not exist: ENOENT when execve is allowed, EPERM when it is denied.
    char *const argv[] = {"/nonexistent/bulwark-sandbox-check", NULL};
    char *const envp[] = {NULL};
    int exec_error = execve(argv[0], argv, envp) < 0 ? errno : 0;
    // A descriptor of the parent process: allowed, a number; denied, EPERM.
    int pidfd_error = ENOSYS;
#ifdef __NR_pidfd_open
    int pidfd = (int)syscall(__NR_pidfd_open, getppid(), 0);
    pidfd_error = pidfd < 0 ? errno : 0;
    if (pidfd >= 0) close(pidfd);
#endif
    // An io_uring of one entry (its parameters zeroed): allowed, a descriptor.
    int ring_error = ENOSYS;
#ifdef __NR_io_uring_setup
    struct io_uring_params params = {0};
    int ring = (int)syscall(__NR_io_uring_setup, 1, &params);
    ring_error = ring < 0 ? errno : 0;
    if (ring >= 0) close(ring);
#endif
    // A process of its own (clone without CLONE_THREAD): allowed, a child that ends at once.
    pid_t forked = fork();
    if (forked == 0) _exit(0);
    int fork_error = forked < 0 ? errno : 0;
    // Memory that can run code: allowed, a mapping.
    void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int code_error = code == MAP_FAILED ? errno : 0;
    if (code != MAP_FAILED) munmap(code, 4096);
    return snprintf(
        report, size, "open %d socket %d execve %d pidfd_open %d io_uring_setup %d fork %d executable_memory %d",
        open_error, socket_error, exec_error, pidfd_error, ring_error, fork_error, code_error);
}

// A thread started before the process is hardened: it waits for a byte on `wake`, then tries
// what the filter denies, into `report`.
typedef struct {
    int wake;
    char *report;
    size_t size;
} bw_earlier_thread;

static void *try_denied_when_woken(void *argument) {
    bw_earlier_thread *thread = argument;
    char byte;
    ssize_t got;
    do got = read(thread->wake, &byte, 1); while (got < 0 && errno == EINTR);
    bw_process_try_denied(thread->report, thread->size);
    return NULL;
}

int bw_process_check_sandbox(uint64_t address_space, char *report, char *earlier, size_t size) {
    int wake[2];
    if (pipe(wake) != 0) return errno;
    bw_earlier_thread argument = {wake[0], earlier, size};
    pthread_t thread;
    int failed = pthread_create(&thread, NULL, try_denied_when_woken, &argument);
    if (failed != 0) {
        close(wake[0]), close(wake[1]);
        return failed;
    }
    failed = bw_process_harden(address_space);
    ssize_t sent;
    do sent = write(wake[1], "x", 1); while (sent < 0 && errno == EINTR);
    pthread_join(thread, NULL);
    close(wake[0]), close(wake[1]);
    if (failed != 0) return failed;
    bw_process_try_denied(report, size);
    return 0;
}

int bw_pipe_cloexec(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    // The reading end, ours, never waits.
    if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        close(fds[0]), close(fds[1]);
        return -1;
    }
    return 0;
}

int bw_wait_signal(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

int bw_wait_exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

int bw_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
