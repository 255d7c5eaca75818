#!/usr/bin/env python3
"""The process-level sandboxing of a systemd unit, applied as systemd applies it before exec, for
the systemctl stand-in (harness/instance-boot/systemctl):

  --no-new-privileges        NoNewPrivileges=yes: prctl(PR_SET_NO_NEW_PRIVS).
  --address-families LIST    RestrictAddressFamilies=LIST (an allow-list; "~LIST" a deny-list;
                             "none" allows no family): a seccomp filter under which socket(2) with
                             any other address family fails with EAFNOSUPPORT, as systemd's does
                             (systemd.exec(5): "socket(2) ... will fail with EAFNOSUPPORT"). As in
                             systemd, socketpair(2) and sockets passed in are not affected.

usage: sandbox.py [--no-new-privileges] [--address-families LIST] -- COMMAND [ARG...]
The filter needs no privilege (no_new_privs is set first, as the kernel requires), so it runs after
the stand-in has switched to the unit's User=.
"""
import ctypes
import os
import platform
import sys

FAMILIES = {"AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16, "AF_PACKET": 17}
# (audit arch, socket(2) number) per machine, from the kernel's audit.h and syscall tables.
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EAFNOSUPPORT = 97
LD_ABS_W = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
RET_K = 0x06  # BPF_RET | BPF_K


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def fail(message):
    print(f"sandbox: {message}", file=sys.stderr)
    sys.exit(226)  # systemd's EXIT_NAMESPACE-style setup failure


def families(value):
    deny = value.startswith("~")
    names = value.lstrip("~").split()
    if names == ["none"] and not deny:
        return False, []
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        fail(f"RestrictAddressFamilies: {' '.join(unknown)} not known to the stand-in (it knows {' '.join(FAMILIES)})")
    return deny, sorted({FAMILIES[n] for n in names})


def socket_filter(deny, listed):
    arch, socket_nr = ARCHES.get(platform.machine(), (None, None))
    if arch is None:
        fail(f"RestrictAddressFamilies: no seccomp table for {platform.machine()}")
    # Layout: 0-4 check the arch and the syscall and load the family; 5 .. 5+n-1 compare it with
    # each listed family; then the two returns. A jump's offset counts from the next instruction.
    n = len(listed)
    allow, deny_at = (n + 5, n + 6) if deny else (n + 6, n + 5)
    to = lambda target, index: target - index - 1  # noqa: E731
    program = [
        (LD_ABS_W, 0, 0, 4),  # 0: seccomp_data.arch
        (JEQ_K, 0, to(allow, 1), arch),  # 1: another arch is not ours to filter
        (LD_ABS_W, 0, 0, 0),  # 2: seccomp_data.nr
        (JEQ_K, 0, to(allow, 3), socket_nr),  # 3: only socket(2)
        (LD_ABS_W, 0, 0, 16),  # 4: seccomp_data.args[0], low 32 bits: the family
    ]
    for i, family in enumerate(listed):
        program.append((JEQ_K, to(deny_at if deny else allow, 5 + i), 0, family))
    returns = {allow: SECCOMP_RET_ALLOW, deny_at: SECCOMP_RET_ERRNO | EAFNOSUPPORT}
    program += [(RET_K, 0, 0, returns[n + 5]), (RET_K, 0, 0, returns[n + 6])]
    return program


def install(program):
    libc = ctypes.CDLL(None, use_errno=True)
    filters = (SockFilter * len(program))(*[SockFilter(*insn) for insn in program])
    prog = SockFprog(len(program), filters)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        fail(f"seccomp filter refused: {os.strerror(ctypes.get_errno())}")


def main(argv):
    if "--" not in argv:
        fail("usage: sandbox.py [--no-new-privileges] [--address-families LIST] -- COMMAND [ARG...]")
    options, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    no_new_privs, address_families = False, None
    while options:
        option = options.pop(0)
        if option == "--no-new-privileges":
            no_new_privs = True
        elif option == "--address-families" and options:
            address_families = options.pop(0)
        else:
            fail(f"unknown option {option}")
    if not command:
        fail("no command")
    libc = ctypes.CDLL(None, use_errno=True)
    if no_new_privs or address_families is not None:
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            fail(f"no_new_privs refused: {os.strerror(ctypes.get_errno())}")
    if address_families is not None:
        install(socket_filter(*families(address_families)))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
