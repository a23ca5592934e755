package dev.gantry.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Writes a 64-bit little-endian x86-64 shared object of any size without
 * holding it: section headers right after the ELF header, then
 * {@code .symtab} with {@code symbols} function symbols ({@code s0000000}…),
 * the last one {@code __cpu_indicator_init} (dispatch evidence a scanner can
 * only find by reading the whole table), {@code .strtab}, and a
 * {@code .text} of {@code textBytes} repeating a block of pseudo-random
 * bytes (which decodes as a mix of instructions, AVX among them, and
 * compresses about 100 times: a big file that makes a small layer).
 */
public final class SyntheticElf {
    private static final int EHDR = 64;
    private static final int SHDR = 64;
    private static final int SECTIONS = 5;
    private static final byte[] SHSTRTAB = "\0.text\0.symtab\0.strtab\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
    private static final String DISPATCH = "__cpu_indicator_init";
    private static final int BLOCK = 24 << 10;

    private final int symbols;
    private final long textBytes;

    public SyntheticElf(int symbols, long textBytes) {
        this.symbols = symbols;
        this.textBytes = textBytes;
    }

    private long symtabOffset() {
        return 512;
    }

    private long symtabSize() {
        return (symbols + 1L) * 24;
    }

    private long strtabSize() {
        return 1 + (long) Math.max(0, symbols - 1) * 9 + (symbols > 0 ? DISPATCH.length() + 1 : 0);
    }

    private long textOffset() {
        long end = symtabOffset() + symtabSize() + strtabSize();
        return (end + 15) & ~15L;
    }

    /** The file's size in bytes. */
    public long size() {
        return textOffset() + textBytes;
    }

    public void write(OutputStream out) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        head.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        head.putShort((short) 3).putShort((short) 62).putInt(1).putLong(0).putLong(0).putLong(EHDR);
        head.putInt(0).putShort((short) EHDR).putShort((short) 56).putShort((short) 0).putShort((short) SHDR)
                .putShort((short) SECTIONS).putShort((short) 4);
        long strtabOffset = symtabOffset() + symtabSize();
        long shstrOffset = EHDR + SECTIONS * SHDR;
        section(head, 0, 0, 0, 0, 0, 0, 0); // null
        section(head, 1, 1, 0x6, textOffset(), textBytes, 0, 0); // .text: PROGBITS, ALLOC|EXECINSTR
        section(head, 7, 2, 0, symtabOffset(), symtabSize(), 3, 24); // .symtab -> .strtab
        section(head, 15, 3, 0, strtabOffset, strtabSize(), 0, 0); // .strtab
        section(head, 23, 3, 0, shstrOffset, SHSTRTAB.length, 0, 0); // .shstrtab
        head.put(SHSTRTAB);
        out.write(head.array());

        ByteBuffer sym = ByteBuffer.allocate(24 * 4096).order(ByteOrder.LITTLE_ENDIAN);
        sym.put(new byte[24]);
        long name = 1;
        for (int i = 0; i < symbols; i++) {
            if (!sym.hasRemaining()) {
                out.write(sym.array(), 0, sym.position());
                sym.clear();
            }
            sym.putInt((int) name).put((byte) 0x12).put((byte) 0).putShort((short) 1).putLong(0x1000 + i * 16L)
                    .putLong(16);
            name += 9;
        }
        out.write(sym.array(), 0, sym.position());

        byte[] names = new byte[9 * 4096];
        out.write(0);
        int n = 0;
        for (int i = 0; i < symbols - 1; i++) {
            if (n == names.length) {
                out.write(names, 0, n);
                n = 0;
            }
            byte[] s = String.format("s%07d", i).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(s, 0, names, n, 8);
            names[n + 8] = 0;
            n += 9;
        }
        out.write(names, 0, n);
        if (symbols > 0) {
            out.write((DISPATCH + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        long written = symtabOffset() + symtabSize() + strtabSize();
        out.write(new byte[(int) (textOffset() - written)]);

        byte[] block = new byte[BLOCK];
        new Random(42).nextBytes(block);
        for (long left = textBytes; left > 0; left -= BLOCK) {
            out.write(block, 0, (int) Math.min(BLOCK, left));
        }
    }

    private static void section(ByteBuffer b, int name, int type, long flags, long offset, long size, int link,
            long entsize) {
        b.putInt(name).putInt(type).putLong(flags).putLong(0).putLong(offset).putLong(size).putInt(link).putInt(0)
                .putLong(type == 0 ? 0 : 1).putLong(entsize);
    }
}
