package dev.gantry.scan.x86;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.scan.Programs;
import dev.gantry.scan.TestTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder against GNU objdump on real code: programs compiled here for
 * several micro-architectures, and system libraries. Instruction boundaries
 * must be identical, and the features must agree with what objdump's
 * mnemonics say.
 */
class X86DecoderOracleTest {
    @TempDir
    static Path tmp;

    static Stream<Arguments> binaries() {
        return Stream.of(
                Arguments.of("gcc", "-march=x86-64"),
                Arguments.of("gcc", "-march=x86-64-v2"),
                Arguments.of("gcc", "-march=x86-64-v3"),
                Arguments.of("gcc", "-march=x86-64-v4"),
                Arguments.of("gcc", "-march=sapphirerapids"),
                Arguments.of("gcc", "-march=znver3"),
                Arguments.of("gcc", "-march=bdver2"),
                Arguments.of("gcc", "-maes -mpclmul -msha -mcrc32 -mrdrnd -mpopcnt -mbmi2 -mlzcnt -mmovbe"),
                Arguments.of("lib", "/lib/x86_64-linux-gnu/libc.so.6"),
                Arguments.of("lib", "/lib64/ld-linux-x86-64.so.2"),
                Arguments.of("lib", "/lib/x86_64-linux-gnu/libm.so.6"),
                Arguments.of("lib", "/lib/x86_64-linux-gnu/libmvec.so.1"),
                Arguments.of("lib", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"));
    }

    private static Path binary(String kind, String arg) throws IOException, InterruptedException {
        if (kind.equals("lib")) {
            TestTools.requireThat(Files.isRegularFile(Path.of(arg)), arg + " is missing (Debian libc6/libstdc++6)");
            return Path.of(arg);
        }
        String name = "p" + Integer.toHexString(arg.hashCode());
        return Programs.gcc(Files.createDirectories(tmp.resolve(name)), name, Programs.VECTOR_LOOP + INTRINSICS,
                arg.split(" "));
    }

    /** Calls that make the feature flags of the -m options show up as instructions. */
    private static final String INTRINSICS = """
            #include <immintrin.h>
            #if defined(__AES__) && defined(__PCLMUL__) && defined(__SHA__)
            __m128i crypto(__m128i a, __m128i b) { return _mm_sha256rnds2_epu32(_mm_clmulepi64_si128(_mm_aesenc_si128(a, b), b, 0), a, b); }
            unsigned crc(unsigned c, unsigned long long v) { return (unsigned) _mm_crc32_u64(c, v); }
            unsigned rnd(void) { unsigned r; _rdrand32_step(&r); return r; }
            unsigned long long bits(unsigned long long a, unsigned long long b) { return _pdep_u64(a, b) + _lzcnt_u64(a) + __builtin_popcountll(b); }
            unsigned long long swap(unsigned long long *p) { return __builtin_bswap64(*p); }
            #endif
            """;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("binaries")
    void boundariesAndFeaturesAgreeWithObjdump(String kind, String arg) throws Exception {
        Path elf = binary(kind, arg);
        Objdump.Text text = Objdump.text(elf, tmp);
        X86Decoder d = new X86Decoder();

        List<Long> ours = new ArrayList<>();
        List<Long> features = new ArrayList<>();
        int p = 0;
        while (p < text.code().length && d.decode(text.code(), p, text.code().length)) {
            ours.add(text.vma() + p);
            features.add(d.features());
            p += d.length();
        }
        List<Long> theirs = new ArrayList<>();
        for (Objdump.Line l : text.lines()) {
            theirs.add(l.address());
            if (l.bytes().startsWith("9b ") && l.text().matches("f(stcw|stsw|stenv|save|init|clex).*")) {
                // objdump prints FWAIT and the x87 instruction after it as one ("fstcw");
                // they are two instructions.
                theirs.add(l.address() + 1);
            }
        }
        assertThat(ours).as("instruction boundaries").containsExactlyElementsOf(theirs);

        List<String> problems = new ArrayList<>();
        Map<Long, Long> featuresAt = new HashMap<>();
        for (int i = 0; i < ours.size(); i++) {
            featuresAt.put(ours.get(i), features.get(i));
        }
        for (Objdump.Line l : text.lines()) {
            Long mask = featuresAt.get(l.address());
            if (mask == null || l.text().isEmpty()) {
                continue;
            }
            Set<String> got = flags(mask);
            MnemonicFeatures.Insn in = MnemonicFeatures.parse(l.text());
            Set<String> expected = MnemonicFeatures.expected(in);
            if (!got.containsAll(expected)) {
                problems.add(l.text() + ": expected " + expected + ", decoded " + got);
            }
            for (String f : got) {
                if (MnemonicFeatures.COMPLETE.contains(f) && !expected.contains(f) && !in.mnemonic().equals("pextrw")) {
                    problems.add(l.text() + ": decoded " + f + ", which the mnemonic does not need");
                }
            }
            if (MnemonicFeatures.vexVector(in) && got.isEmpty()) {
                problems.add(l.text() + ": a VEX instruction decoded with no feature");
            }
        }
        assertThat(problems).as("feature disagreements").isEmpty();

        long[] union = {0};
        long count = new X86CodeScanner().scan(text.code(), 0, text.code().length, (off, f, cpuid) -> union[0] |= f);
        long all = 0;
        for (long f : features) {
            all |= f;
        }
        assertThat(count).as("scan() decodes the same instructions as decode()").isEqualTo(ours.size());
        assertThat(union[0]).as("scan() reports the same features as decode()").isEqualTo(all);
    }

    static Set<String> flags(long mask) {
        Set<String> s = new HashSet<>();
        for (long m = mask; m != 0; m &= m - 1) {
            s.add(X86Feature.of(Long.numberOfTrailingZeros(m)).flag());
        }
        return s;
    }
}
