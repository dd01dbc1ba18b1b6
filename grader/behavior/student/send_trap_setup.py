"""Before any student code runs: make every send of this process wait for the parent.

The filter (:func:`grader.behavior.linux.install_send_trap`) cannot be removed once
installed, and it is inherited by every thread and process started later. Its listener
goes to the parent over the control socket, the only socket the filter lets through,
and the child waits for the parent's "go" before it imports anything of the student's:
so the parent holds the listener before student code can exist.
"""

from __future__ import annotations

import os
import select
import socket

from grader.behavior import linux

HANDOVER_TIMEOUT_S = 10.0


def hand_over_send_trap(control_fd: int) -> str:
    """Install the trap, give its listener to the parent, wait for "go".

    Returns "trapped", or "untrapped: <why>" when the kernel offers no trap (the parent
    then orders events by its own clock and says so in the report).
    """
    if not linux.send_trap_supported():
        state = "untrapped: this machine offers no seccomp user notification"
        os.write(control_fd, b"none")
    else:
        try:
            listener = linux.install_send_trap(control_fd)
        except OSError as exc:
            state = f"untrapped: {exc.strerror or exc}"
            os.write(control_fd, b"none")
        else:
            channel = socket.socket(fileno=control_fd)
            try:
                socket.send_fds(channel, [b"trap"], [listener])
            finally:
                channel.detach()
            os.close(listener)
            state = "trapped"
    ready, _, _ = select.select([control_fd], [], [], HANDOVER_TIMEOUT_S)
    if not ready or os.read(control_fd, 16) != b"go":
        raise RuntimeError("the grader did not confirm the send trap")
    return state
