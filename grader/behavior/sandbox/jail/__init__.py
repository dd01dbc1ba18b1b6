"""The run's jail: what the student's code can see, write, signal and use.

Per run, as root (or, without root, inside a user namespace where the kernel allows
one): new mount, PID, IPC, UTS and network namespaces (``namespaces``); a new root
holding only the system folders programs need, the Python installation folder by folder
and the run's own writable folders (``exposed``, ``newroot``); one tmpfs of the run's
disk budget behind /tmp, /var/tmp, /dev/shm, /run/lock and the work area, on the
grader's side so it can watch them (``rundir``; ``diskwatch`` without root); a cgroup
for memory and tasks where the machine offers one (``cgroups``). Every protection is
checked after it is applied (``proofs``, reading ``mountinfo``) and listed only if it
held. ``cleanup`` removes what a run or a dead grader left.
"""
