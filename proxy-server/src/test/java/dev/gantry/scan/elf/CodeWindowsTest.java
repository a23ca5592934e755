package dev.gantry.scan.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.scan.x86.X86CodeScanner;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Decoding a window at a time finds what decoding the whole range at once finds, at the same offsets. */
class CodeWindowsTest {

    @Test
    void x86WindowsOverlapSoNoInstructionIsCutOrShifted() {
        byte[] code = new byte[3 * CodeWindows.WINDOW + 12345];
        new Random(7).nextBytes(code);
        long[] whole = {0};
        TreeMap<Long, Long> wholeOffsets = new TreeMap<>();
        new X86CodeScanner().scan(code, 0, code.length, (offset, f, cpuid) -> {
            long fresh = f & ~whole[0];
            whole[0] |= f;
            if (fresh != 0) {
                wholeOffsets.put((long) offset, fresh);
            }
        });
        TreeMap<String, Long> firstUse = new TreeMap<>();
        CodeWindows w = new CodeWindows(new ElfBytes(ByteBuffer.wrap(code).asReadOnlyBuffer(), code.length, false), Long.MAX_VALUE,
                firstUse);
        w.x86(0, code.length);
        assertThat(w.features()).isEqualTo(whole[0]);
        assertThat(firstUse.values()).containsExactlyInAnyOrderElementsOf(
                wholeOffsets.entrySet().stream().flatMap(e -> java.util.Collections.nCopies(Long.bitCount(e.getValue()),
                        e.getKey()).stream()).toList());
        assertThat(w.decoded()).isEqualTo(code.length);
    }

    @Test
    void arm64WindowsKeepTheFileOffsetsAlignment() {
        byte[] code = new byte[2 * CodeWindows.WINDOW + 4098];
        new Random(8).nextBytes(code);
        TreeMap<String, Long> one = new TreeMap<>();
        CodeWindows w = new CodeWindows(new ElfBytes(ByteBuffer.wrap(code).asReadOnlyBuffer(), code.length, false), Long.MAX_VALUE, one);
        w.arm64(2, code.length);
        for (long offset : one.values()) {
            assertThat(offset % 4).isZero();
        }
        assertThat(w.features()).isNotZero();
    }
}
