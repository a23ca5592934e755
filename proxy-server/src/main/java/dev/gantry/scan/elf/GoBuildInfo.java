package dev.gantry.scan.elf;

import java.nio.charset.StandardCharsets;

/**
 * The Go build information of a Go binary ({@code .go.buildinfo}, Go 1.18+
 * inline format: the magic {@code \xff Go buildinf:}, pointer size, flags,
 * then the Go version and module information as varint-prefixed strings).
 * The module information's build settings carry {@code GOAMD64=v1..v4} and
 * {@code GOARM64=v8.x}: the Go runtime refuses to start on a CPU below
 * them, so they are requirements.
 *
 * @param goVersion e.g. {@code go1.21.6}
 * @param goamd64 the level 1..4, or 0 when not set (v1 is Go's default)
 * @param goarm64 e.g. {@code v8.2}, or null
 */
public record GoBuildInfo(String goVersion, int goamd64, String goarm64) {
    private static final byte[] MAGIC = "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1);
    private static final int FLAG_INLINE = 2;
    private static final int MAX_STRING = 1 << 20;

    /** Reads the build info of an ELF file, or null when it has none (or an older, pointer-based, one). */
    static GoBuildInfo read(ElfFile elf) {
        ElfFile.Section s = elf.section(".go.buildinfo");
        if (s == null || !elf.contentsAvailable(s) || s.size() < 32) {
            return null;
        }
        ElfBytes b = elf.bytes();
        long o = s.offset();
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.u8(o + i) != (MAGIC[i] & 0xFF)) {
                return null;
            }
        }
        int flags = b.u8(o + 15);
        if ((flags & FLAG_INLINE) == 0) {
            return null; // Go < 1.18: no GOAMD64 setting existed yet
        }
        long end = s.offset() + s.size();
        long[] cursor = {s.offset() + 32};
        String version = varString(b, cursor, end);
        String modinfo = varString(b, cursor, end);
        if (version == null) {
            return null;
        }
        return new GoBuildInfo(version, goamd64(modinfo), setting(modinfo, "GOARM64="));
    }

    private static String varString(ElfBytes b, long[] cursor, long end) {
        long length = 0;
        int shift = 0;
        long p = cursor[0];
        while (true) {
            if (p >= end || shift > 28) {
                return null;
            }
            int v = b.u8(p++);
            length |= (long) (v & 0x7F) << shift;
            shift += 7;
            if ((v & 0x80) == 0) {
                break;
            }
        }
        if (length > MAX_STRING || p + length > end) {
            return null;
        }
        cursor[0] = p + length;
        return b.string(p, (int) length, StandardCharsets.UTF_8);
    }

    private static int goamd64(String modinfo) {
        String v = setting(modinfo, "GOAMD64=");
        if (v == null || v.length() != 2 || v.charAt(0) != 'v' || v.charAt(1) < '1' || v.charAt(1) > '4') {
            return 0;
        }
        return v.charAt(1) - '0';
    }

    private static String setting(String modinfo, String key) {
        if (modinfo == null) {
            return null;
        }
        int i = modinfo.indexOf("build\t" + key);
        if (i < 0) {
            return null;
        }
        int start = i + 6 + key.length();
        int stop = modinfo.indexOf('\n', start);
        return modinfo.substring(start, stop < 0 ? modinfo.length() : stop).trim();
    }
}
