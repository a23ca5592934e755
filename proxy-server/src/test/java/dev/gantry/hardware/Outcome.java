package dev.gantry.hardware;

/**
 * What happened when a program ran under a CPU model. {@link #SIGILL} and
 * {@link #REFUSED} are the two ways a CPU that lacks a feature stops a
 * program; {@link #BROKEN} means the harness could not run it at all (a
 * missing library, a timeout), which is a fault of the corpus, never a
 * verdict to compare.
 */
enum Outcome {
    /**
     * It ran to its exit (any status) without an illegal instruction; this includes a program that exited
     * because its device is missing ({@link DeviceMissing}): its code ran on that CPU.
     */
    RAN,
    /** An illegal instruction: status 132, or QEMU's "uncaught target signal 4". */
    SIGILL,
    /**
     * The program's loader refused the CPU before any of its code ran: glibc's "CPU ISA level is lower
     * than required" (an ISA-level note), or the Go runtime's "can only be run on AMD64 processors with vN
     * microarchitecture support" (GOAMD64).
     */
    REFUSED,
    /** Could not be run: a harness or corpus fault. */
    BROKEN;

    boolean trapped() {
        return this == SIGILL || this == REFUSED;
    }

    static Outcome of(int exit, String stdout, String stderr) {
        String all = stdout + "\n" + stderr;
        if (all.contains("CPU ISA level is lower than required") || all.contains("microarchitecture support")) {
            return REFUSED;
        }
        if (exit == 128 + 4 || all.contains("uncaught target signal 4")) {
            return SIGILL;
        }
        if (all.contains("error while loading shared libraries") || all.contains("chroot: failed")
                || exit == 127 || exit == 126) {
            return BROKEN;
        }
        if (!DeviceMissing.classes(exit, all).isEmpty()) {
            return RAN; // ibv_devinfo exits 255 for want of an RDMA device: its own verdict, not a crash
        }
        if (all.contains("Could not open") || exit > 128) {
            return BROKEN;
        }
        return RAN;
    }
}
