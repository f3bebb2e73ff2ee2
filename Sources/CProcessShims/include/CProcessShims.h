// What a decoder process does to itself before it reads an untrusted file (`prctl` is variadic
// in C, so Swift cannot call it), and how a parent reads a child's wait status (macros in C).
#ifndef BULWARK_CPROCESSSHIMS_H
#define BULWARK_CPROCESSSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <spawn.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Memory from malloc never holds an earlier file's bytes (glibc's M_PERTURB, a fixed mmap
/// threshold: a decoder that leaves part of a picture unwritten shows a fixed pattern, the same
/// each time); no new privileges by exec; no core file; at most `address_space` bytes of address space when
/// it is not 0 (an allocation past it fails); and a seccomp filter that allows only the calls a
/// decoder makes once it reads files (its descriptors, memory never executable, threads but no
/// process, signals to itself, time, the runtime's event loop) and fails every other with EPERM:
/// opening files, sockets, starting programs, other processes, the file system, io_uring,
/// namespaces, BPF, ioctl (x86-64 and arm64; elsewhere no filter). The filter is put on every
/// thread of the process (ESRCH when a thread could not take it). Returns 0, or the `errno` of the
/// first call that failed. (Not PR_SET_PDEATHSIG: it fires when the thread that started the process ends, and
/// the parent's threads come and go; the process ends when its input does instead.)
int bw_process_harden(uint64_t address_space);

/// Tries what the filter denies (opening /etc/passwd, an IPv4 socket, running a program that does
/// not exist, a pidfd of the parent, an io_uring, a child process, executable memory) and writes
/// the errno of each to `report` ("open 1 socket 1 execve 1 pidfd_open 1 io_uring_setup 1 fork 1
/// executable_memory 1" when all were denied with EPERM; "open 0 socket 0 execve 2 ..." when none
/// was).
int bw_process_try_denied(char *report, size_t size);

/// Starts a thread, hardens the process (`bw_process_harden`), then has both that thread, which
/// was running before the filter was installed, and this one try what the filter denies
/// (`bw_process_try_denied`): this thread's report in `report`, the other's in `earlier`, each of
/// `size` bytes. Returns 0, or the errno of what failed.
int bw_process_check_sandbox(uint64_t address_space, char *report, char *earlier, size_t size);

/// Adds to `actions` the closing of every descriptor from `lowest` up in the new process
/// (glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift does not see). 0, or an errno.
int bw_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// A pipe whose two ends close on exec, its reading end `fds[0]` non-blocking (`pipe2`, which
/// Swift does not see). 0, or -1 with `errno` set.
int bw_pipe_cloexec(int fds[2]);

/// A wait status's signal number when the process was killed by one, else 0.
int bw_wait_signal(int status);
/// A wait status's exit code when the process exited, else -1.
int bw_wait_exit_code(int status);

#ifdef __cplusplus
}
#endif

#endif
