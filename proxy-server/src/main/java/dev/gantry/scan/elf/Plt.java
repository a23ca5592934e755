package dev.gantry.scan.elf;

import java.util.Arrays;

/**
 * Finds the PLT stubs that jump through given GOT slots, so a call to an
 * imported function ({@code call getauxval@plt}) can be told from any other
 * call. x86-64: each 16-byte entry of {@code .plt}, {@code .plt.sec} or
 * {@code .plt.got} holds {@code jmp *slot(%rip)} ({@code FF 25}, perhaps after
 * {@code endbr64} or a {@code bnd} prefix). AArch64: {@code adrp x16, page;
 * ldr x17, [x16, #off]} at the start of each entry.
 */
final class Plt {
    /** Receives a stub's address range. */
    interface Sink {
        void stub(long address, long size);
    }

    private Plt() {
    }

    /** Reports the stubs of {@code .plt*} sections that load one of {@code slots} (sorted). */
    static void stubs(ElfFile elf, long[] slots, Sink sink) {
        ElfBytes b = elf.bytes();
        for (ElfFile.Section s : elf.sections()) {
            if (s.name() == null || !s.name().startsWith(".plt") || !s.executable() || !elf.contentsAvailable(s)) {
                continue;
            }
            long end = s.offset() + s.size();
            if (elf.machine() == ElfFile.EM_X86_64) {
                for (long p = s.offset(); p + 6 <= end; p++) {
                    if (b.u8(p) == 0xFF && b.u8(p + 1) == 0x25) {
                        long slot = s.addr() + (p + 6 - s.offset()) + (int) b.u32(p + 2);
                        if (Arrays.binarySearch(slots, slot) >= 0) {
                            long entry = s.addr() + ((p - s.offset()) & ~15L);
                            sink.stub(entry, 16);
                        }
                    }
                }
            } else if (elf.machine() == ElfFile.EM_AARCH64) {
                for (long p = s.offset(); p + 8 <= end; p += 4) {
                    int adrp = (int) b.u32(p);
                    int ldr = (int) b.u32(p + 4);
                    if ((adrp & 0x9F00001F) == 0x90000010 && (ldr & 0xFFC003FF) == 0xF9400211) {
                        long pc = s.addr() + (p - s.offset());
                        long page = (pc & ~0xFFFL) + (adrpImmediate(adrp) << 12);
                        long slot = page + (((ldr >>> 10) & 0xFFF) << 3);
                        if (Arrays.binarySearch(slots, slot) >= 0) {
                            sink.stub(pc, 16);
                        }
                    }
                }
            }
        }
    }

    /** The signed 21-bit page immediate of an ADRP. */
    static long adrpImmediate(int insn) {
        long imm = ((insn >>> 29) & 3) | ((long) ((insn >>> 5) & 0x7FFFF) << 2);
        return (imm << 43) >> 43;
    }
}
