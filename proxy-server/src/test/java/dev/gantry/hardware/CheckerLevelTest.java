package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.Programs;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The x86-64 level in a verdict: a CPU with every feature the image needs runs it even when it does not
 * reach the level those features belong to (HardwareTruthIT found an {@code -mavx} program refused on
 * SandyBridge, where it runs); a level a file declares still fails where the loader refuses the CPU.
 */
class CheckerLevelTest {
    private static final KnowledgeBase KB = KnowledgeBase.embedded();
    private static final LayerScanner SCANNER = new LayerScanner(KB, ScanLimits.defaults());
    private static final ImageAnalyzer ANALYZER = new ImageAnalyzer(KB, Clock.systemUTC());

    @TempDir
    Path tmp;

    private HardwareDocument program(String... flags) throws Exception {
        byte[] app = Files.readAllBytes(Programs.gcc(tmp, "app", Programs.VECTOR_LOOP, flags));
        byte[] blob = new LayerBuilder().file("usr/local/bin/app", app, 0755).gzip();
        LayerFindings f = SCANNER.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/usr/local/bin/app\"]}}";
        return ANALYZER.analyze(null, new ImagePlatform("linux", "amd64", null), config.getBytes(StandardCharsets.UTF_8),
                List.of(f));
    }

    private static Verdict check(HardwareDocument d, Set<String> flags) {
        return Checker.check("test", List.of(new HardwareService.PlatformDocument(null, d, false)),
                new HostProfile("linux", "x86_64", flags, Set.of(), Set.of(), Set.of(), List.of()));
    }

    @Test
    void anAvxProgramRunsOnACpuWithAvxBelowX86_64V3() throws Exception {
        HardwareDocument d = program("-mavx");
        assertThat(d.platform().cpu().features()).containsEntry("avx", Level.REQUIRED).doesNotContainKey("avx2");
        Verdict sandyBridge = check(d, CRuntimeVerdictTest.SANDY_BRIDGE);
        assertThat(sandyBridge.verdict()).as(sandyBridge.reasons().toString()).isEqualTo(Verdict.RUNS);
        Verdict nehalem = check(d, CRuntimeVerdictTest.NEHALEM);
        assertThat(nehalem.verdict()).isEqualTo(Verdict.WILL_FAIL);
        assertThat(nehalem.reasons()).anySatisfy(r -> assertThat(r.message()).contains("lacks avx,"));
    }

    @Test
    void aDeclaredLevelStillFailsOnACpuBelowIt() throws Exception {
        HardwareDocument d = program("-march=x86-64-v3", "-Wl,-z,x86-64-v3");
        Verdict v = check(d, CRuntimeVerdictTest.SANDY_BRIDGE);
        assertThat(v.verdict()).isEqualTo(Verdict.WILL_FAIL);
        assertThat(v.reasons()).anySatisfy(r -> assertThat(r.message()).contains("needs an x86-64-v3 CPU"));
        assertThat(check(d, CRuntimeVerdictTest.HASWELL).verdict()).isNotEqualTo(Verdict.WILL_FAIL);
    }
}
