package dev.gantry.it.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.cli.GantryCommand;
import dev.gantry.scan.Programs;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The hardware-aware check (the paper's hdocker): {@code gantry check} and the
 * endpoint behind it, on recorded host profiles (a GPU host, an SGX host, an
 * arm64 host, an old x86 host) and on this machine's own profile.
 */
class CheckIT {

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static GantryServer gantry;

    @BeforeAll
    static void start() throws Exception {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("gantry") + "\nprefetch: {mode: \"off\"}\n", tmp, MutableClock.startingNow());
        Pusher push = new Pusher(upstream.url());
        push.push("test/gpu", "1", HardwareApiIT.gpuImage(11));
        push.push("test/sgx", "1", TestImage.builder().seed(12).layer(1000)
                .env(List.of("PATH=/bin", "SGX_MODE=HW")).build());
        push.push("test/kvm", "1", HardwareApiIT.kvmImage(13, "linux", "amd64"));
        push.push("test/multi", "1", TestImage.Index.of(List.of(HardwareApiIT.plainImage(14, "linux", "amd64"),
                HardwareApiIT.plainImage(15, "linux", "arm64")), false));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path avx2 = Programs.gcc(bin, "vecapp", Programs.VECTOR_LOOP, "-march=x86-64-v3");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("usr/local/bin/vecapp", Files.readAllBytes(avx2));
        push.push("test/avx2", "1", TestImage.builder().seed(16).rawLayer(TestImage.layerOf(files))
                .config("Entrypoint", List.of("/usr/local/bin/vecapp")).build());
    }

    @AfterAll
    static void stop() {
        gantry.close();
        upstream.close();
    }

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Run check(String image, String profile, String... extra) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new GantryCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        List<String> args = new ArrayList<>(List.of("check", image, "--registry", gantry.url()));
        if (profile != null) {
            args.addAll(List.of("--profile", profile(profile).toString()));
        }
        args.addAll(List.of(extra));
        int exit = cli.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    static Path profile(String name) throws URISyntaxException {
        return Path.of(CheckIT.class.getResource("/profiles/" + name + ".json").toURI());
    }

    @Test
    void aGpuImageRunsOnAGpuHostWithGpusAllAndFailsElsewhere() throws Exception {
        Run gpuHost = check("test/gpu:1", "gpu-host");
        assertThat(gpuHost.exit()).as(gpuHost.err()).isZero();
        assertThat(gpuHost.out()).contains("test/gpu:1 (linux/amd64): runs").contains("docker run --gpus all -v <host-dir>:/data test/gpu:1");

        Run plainHost = check("test/gpu:1", "old-x86-host", "--json");
        assertThat(plainHost.exit()).isEqualTo(2);
        JsonNode v = plainHost.json();
        assertThat(v.path("verdict").asText()).isEqualTo("will-fail");
        assertThat(v.path("reasons").toString()).contains("gpu.nvidia").contains("nvidia.com/gpu=all");
    }

    @Test
    void anSgxImageRunsOnlyWhereTheEnclaveDevicesAre() throws Exception {
        Run sgx = check("test/sgx:1", "sgx-host", "--json");
        assertThat(sgx.exit()).as(sgx.err()).isZero();
        assertThat(sgx.json().path("dockerRunFlags").toString()).contains("--device /dev/sgx_enclave");
        Run gpuHost = check("test/sgx:1", "gpu-host", "--json");
        assertThat(gpuHost.exit()).isEqualTo(2);
        assertThat(gpuHost.json().path("reasons").toString()).contains("sgx");
    }

    @Test
    void anImageBuiltForX8664V3FailsOnAnOlderCpuAndSaysWhy() throws Exception {
        Run modern = check("test/avx2:1", "gpu-host", "--json");
        assertThat(modern.exit()).as(modern.out() + modern.err()).isZero();
        Run old = check("test/avx2:1", "old-x86-host", "--json");
        assertThat(old.exit()).isEqualTo(2);
        assertThat(old.json().path("reasons").toString()).contains("avx2").contains("without a fallback");
    }

    @Test
    void aSupportedDeviceTheHostLacksDegradesAndOneItHasBecomesAFlag() throws Exception {
        Run without = check("test/kvm:1", "old-x86-host", "--json");
        assertThat(without.exit()).isEqualTo(1);
        assertThat(without.json().path("verdict").asText()).isEqualTo("runs-degraded");
        Run with = check("test/kvm:1", "gpu-host", "--json");
        assertThat(with.exit()).isZero();
        assertThat(with.json().path("dockerRunFlags").toString()).contains("--device /dev/kvm");
    }

    @Test
    void anArm64HostGetsTheArm64PlatformOfAnIndexAndIsToldWhenThereIsNone() throws Exception {
        Run multi = check("test/multi:1", "arm64-host", "--json");
        assertThat(multi.exit()).as(multi.err()).isZero();
        assertThat(multi.json().path("platform").asText()).isEqualTo("linux/arm64");
        Run amd64Only = check("test/gpu:1", "arm64-host", "--json");
        assertThat(amd64Only.exit()).isEqualTo(2);
        assertThat(amd64Only.json().path("reasons").toString()).contains("no linux/arm64 platform");
    }

    /** Of an index, only the host's platform is judged: the others' manifests are not fetched, nor their layers scanned. */
    @Test
    void aCheckOfAnIndexFetchesOnlyTheHostsPlatform() throws Exception {
        TestImage amd64 = HardwareApiIT.plainImage(17, "linux", "amd64");
        TestImage arm64 = HardwareApiIT.plainImage(18, "linux", "arm64");
        new Pusher(upstream.url()).push("test/multi2", "1", TestImage.Index.of(List.of(amd64, arm64), false));

        Run arm = check("test/multi2:1", "arm64-host", "--json");

        assertThat(arm.exit()).as(arm.err()).isZero();
        assertThat(upstream.count(r -> r.isManifestGet() && r.path().endsWith(arm64.digest().toString()))).isEqualTo(1);
        assertThat(upstream.count(r -> r.isManifestGet() && r.path().endsWith(amd64.digest().toString())))
                .as("GETs of the other platform's manifest").isZero();
    }

    @Test
    void thisMachinesOwnProfileRunsAPlainImage() throws Exception {
        Run here = check("test/multi:1", null, "--json");
        assertThat(here.exit()).as(here.err()).isZero();
        assertThat(here.json().path("verdict").asText()).isEqualTo("runs");
        assertThat(here.json().path("platform").asText()).isEqualTo("linux/amd64");
    }

    @Test
    void aGantryThatCannotBeReachedIsExitStatusThree() throws Exception {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new GantryCommand()).setErr(new PrintWriter(err))
                .execute("check", "test/gpu:1", "--registry", "http://127.0.0.1:9", "--profile", profile("gpu-host").toString());
        assertThat(exit).isEqualTo(3);
        assertThat(err.toString()).startsWith("gantry check: cannot reach Gantry at http://127.0.0.1:9");
    }

    @Test
    void gantryScanTakesAnImageReferenceAndNeedsNoServer() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new GantryCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("scan", upstream.hostPort() + "/test/gpu:1", "--json", "--cache", tmp.resolve("scan-cache").toString());
        assertThat(exit).as(err.toString()).isZero();
        JsonNode doc = new ObjectMapper().readTree(out.toString());
        assertThat(doc.at("/platform/hardware/gpu.nvidia").asText()).isEqualTo("required");
        assertThat(HardwareApiIT.SCHEMA.violations(doc)).isEmpty();
    }
}
