package dev.gantry.scan.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** What the section table of a file may claim before the file is refused. */
class ElfFileTest {

    private static final int EHDR = 64;
    private static final int SHDR = 64;

    /**
     * A 64-bit x86-64 shared object of {@code size} bytes whose section table (right after the header) holds
     * a null section and {@code notes} note sections, each covering {@code noteSize} bytes from offset 4096.
     */
    private static byte[] withNotes(int size, int notes, long noteSize) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) 3).putShort((short) 62).putInt(1).putLong(0).putLong(0).putLong(EHDR);
        b.putInt(0).putShort((short) EHDR).putShort((short) 56).putShort((short) 0).putShort((short) SHDR)
                .putShort((short) (notes + 1)).putShort((short) 0);
        b.position(EHDR + SHDR); // the null section: zeros
        for (int i = 0; i < notes; i++) {
            b.putInt(0).putInt(ElfFile.SHT_NOTE).putLong(0).putLong(0).putLong(4096).putLong(noteSize).putInt(0).putInt(0)
                    .putLong(4).putLong(0);
        }
        return b.array();
    }

    @Test
    void sectionsThatCoverTheFileManyTimesOverAreRefused() {
        // 60 headers of the same 60 KiB: every walk over the notes would read the file 60 times over.
        byte[] file = withNotes(64 << 10, 60, 60 << 10);
        assertThatThrownBy(() -> ElfFile.parse(file, file.length, file.length))
                .isInstanceOf(ElfFormatException.class).hasMessageContaining("sections overlap");
    }

    @Test
    void sectionsLaidOutAsALinkerDoesAreRead() {
        byte[] file = withNotes(64 << 10, 2, 8 << 10);
        ElfFile elf = ElfFile.parse(file, file.length, file.length);
        assertThat(elf.sections()).hasSize(3);
    }
}
