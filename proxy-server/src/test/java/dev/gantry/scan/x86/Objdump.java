package dev.gantry.scan.x86;

import dev.gantry.scan.TestTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GNU objdump as the decoder's oracle: the .text section's bytes and its disassembly. */
final class Objdump {
    record Line(long address, String bytes, String text) {
    }

    record Text(byte[] code, long vma, List<Line> lines) {
    }

    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*(?:\\t(.*))?$");

    private Objdump() {
    }

    static Text text(Path elf, Path tmp) throws IOException, InterruptedException {
        TestTools.require("objdump", "objcopy");
        Path bin = Files.createTempFile(tmp, "text", ".bin");
        TestTools.run(null, "objcopy", "-O", "binary", "--only-section=.text", elf.toString(), bin.toString());
        long vma = -1;
        for (String l : TestTools.run(null, "objdump", "-h", elf.toString()).lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length > 4 && f[1].equals(".text")) {
                vma = Long.parseLong(f[3], 16);
            }
        }
        List<Line> lines = new ArrayList<>();
        Path dis = Files.createTempFile(tmp, "dis", ".txt");
        Files.writeString(dis, TestTools.run(null, "objdump", "-d", "-w", "-j", ".text", elf.toString()));
        try (var r = Files.newBufferedReader(dis)) {
            String l;
            while ((l = r.readLine()) != null) {
                Matcher m = LINE.matcher(l);
                if (m.matches()) {
                    lines.add(new Line(Long.parseLong(m.group(1), 16), m.group(2).trim(),
                            m.group(3) == null ? "" : m.group(3).trim()));
                }
            }
        }
        return new Text(Files.readAllBytes(bin), vma, lines);
    }
}
