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
#include <stddef.h>
#include <stdio.h>
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

// The system calls a decoder never needs once it runs and an attacker who took it over would:
// opening files, the network, starting programs, tracing or signalling other processes,
// changing the file system. Each fails with EPERM (rather than killing the process, so that a
// library that tries one reports an error instead of crashing).
static const int denied[] = {
#ifdef __NR_open
    __NR_open,
#endif
#ifdef __NR_creat
    __NR_creat,
#endif
    __NR_openat,
#ifdef __NR_openat2
    __NR_openat2,
#endif
    __NR_open_by_handle_at, __NR_name_to_handle_at,
    __NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen, __NR_accept, __NR_accept4,
    __NR_execve, __NR_execveat,
#ifdef __NR_fork
    __NR_fork,
#endif
#ifdef __NR_vfork
    __NR_vfork,
#endif
    __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev, __NR_kill, __NR_tkill,
    __NR_mount, __NR_umount2, __NR_chroot, __NR_pivot_root,
#ifdef __NR_unlink
    __NR_unlink,
#endif
    __NR_unlinkat,
#ifdef __NR_rename
    __NR_rename,
#endif
    __NR_renameat, __NR_renameat2,
#ifdef __NR_mkdir
    __NR_mkdir,
#endif
    __NR_mkdirat,
#ifdef __NR_chmod
    __NR_chmod,
#endif
    __NR_fchmodat,
#ifdef __NR_link
    __NR_link,
#endif
    __NR_linkat,
#ifdef __NR_symlink
    __NR_symlink,
#endif
    __NR_symlinkat,
#ifdef __NR_mknod
    __NR_mknod,
#endif
    __NR_mknodat, __NR_truncate,
    // io_uring carries opens, sockets and the rest past this filter (its requests are not system
    // calls); pidfds and queued signals reach other processes as kill would.
#ifdef __NR_io_uring_setup
    __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
#endif
#ifdef __NR_pidfd_open
    __NR_pidfd_open, __NR_pidfd_send_signal,
#endif
#ifdef __NR_pidfd_getfd
    __NR_pidfd_getfd,
#endif
    __NR_rt_sigqueueinfo,
    // Namespaces, kernel modules and programs, keys, performance counters, page-fault handlers.
    __NR_unshare, __NR_setns, __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
    __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_kexec_load,
    __NR_keyctl, __NR_add_key, __NR_request_key,
};

static int install_filter(void) {
#ifdef BW_AUDIT_ARCH
    enum { count = sizeof denied / sizeof denied[0] };
    // Load the architecture: another one (a 32-bit call on x86-64) is refused outright. Then the
    // call's number, compared with each denied one.
    struct sock_filter program[4 + 2 * count + 1];
    int n = 0;
    program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BW_AUDIT_ARCH, 1, 0);
    program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < count; i++) {
        program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1);
        program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    }
    program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
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
    return snprintf(
        report, size, "open %d socket %d execve %d pidfd_open %d io_uring_setup %d", open_error, socket_error, exec_error,
        pidfd_error, ring_error);
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

int bw_wait_signal(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

int bw_wait_exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

int bw_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
