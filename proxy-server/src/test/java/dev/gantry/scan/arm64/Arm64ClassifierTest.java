package dev.gantry.scan.arm64;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.scan.TestTools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AArch64 classifier against instruction words produced by GNU as
 * (binutils-aarch64-linux-gnu) from a list of instructions with their
 * expected feature, and read back with objdump.
 */
class Arm64ClassifierTest {
    @TempDir
    Path tmp;

    record Case(String feature, String instruction) {
    }

    static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = Arm64ClassifierTest.class.getResourceAsStream("/scan/aarch64-instructions.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] p = line.split("\\|", 2);
                out.add(new Case(p[0].trim(), p[1].trim()));
            }
        }
        return out;
    }

    @Test
    void everyAssembledInstructionIsClassifiedAsExpected() throws Exception {
        TestTools.require("aarch64-linux-gnu-as", "aarch64-linux-gnu-objdump");
        List<Case> cases = cases();
        StringBuilder asm = new StringBuilder(".text\n");
        cases.forEach(c -> asm.append(c.instruction()).append('\n'));
        Path s = tmp.resolve("a.s");
        Path o = tmp.resolve("a.o");
        Files.writeString(s, asm);
        TestTools.run(tmp, "aarch64-linux-gnu-as", "-march=armv9.2-a+sve2+sve2-aes+sme+sm4+sha3+i8mm+bf16+rng+flagm",
                "-o", o.toString(), s.toString());
        List<Integer> words = new ArrayList<>();
        for (String l : TestTools.run(tmp, "aarch64-linux-gnu-objdump", "-d", o.toString()).lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length > 1 && f[0].matches("[0-9a-f]+:") && f[1].matches("[0-9a-f]{8}")) {
                words.add((int) Long.parseLong(f[1], 16));
            }
        }
        assertThat(words).hasSameSizeAs(cases);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Set<String> got = flags(Arm64Classifier.classify(words.get(i)));
            boolean ok = c.feature().equals("-") ? got.isEmpty() : got.contains(c.feature());
            if (c.feature().equals("sve") && got.contains("sve2")) {
                ok = false; // SVE1 instructions must not be reported as SVE2
            }
            if (!ok) {
                wrong.add(c.instruction() + " (" + Integer.toHexString(words.get(i)) + "): expected " + c.feature()
                        + ", got " + got);
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void idRegisterReadsAreDispatchEvidenceAndOtherSystemRegistersAreNot() {
        assertThat(Arm64Classifier.readsIdRegister(0xD5380600)).as("mrs x0, id_aa64isar0_el1").isTrue();
        assertThat(Arm64Classifier.readsIdRegister(0xD5380400)).as("mrs x0, id_aa64pfr0_el1").isTrue();
        assertThat(Arm64Classifier.readsIdRegister(0xD53BD040)).as("mrs x0, tpidr_el0").isFalse();
        assertThat(Arm64Classifier.readsIdRegister(0xD503201F)).as("nop").isFalse();
    }

    static Set<String> flags(long mask) {
        Set<String> s = new HashSet<>();
        for (long m = mask; m != 0; m &= m - 1) {
            s.add(Arm64Feature.of(Long.numberOfTrailingZeros(m)).flag());
        }
        return s;
    }
}
