package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.schema.ScanStatus;
import dev.gantry.testing.StreamedLayer;
import dev.gantry.testing.SyntheticElf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scanner's bounds: big files off the heap, the memory budget, the time limit. */
class BoundedScanTest {

    @TempDir
    Path spool;

    private LayerScanner scanner(ScanLimits limits, ScanMemory memory) {
        return new LayerScanner(Scans.KB, limits, memory, spool);
    }

    private static StreamedLayer layerWith(String path, SyntheticElf elf) {
        return StreamedLayer.of(w -> w.file(path, elf.size(), 0755, elf::write));
    }

    @Test
    void anElfBiggerThanTheHeapBufferIsSpooledMappedReadWholeAndDeletedWhenTheBudgetCannotLendIt() throws IOException {
        SyntheticElf elf = new SyntheticElf(300_000, 12 << 20); // ~22 MB, the dispatch symbol last
        assertThat(elf.size()).isGreaterThan(ElfSpool.IN_HEAP);
        ScanMemory tight = new ScanMemory(ScanMemory.PER_SCAN + 16 * ScanMemory.CHUNK);
        LayerFindings f = Scans.scan(scanner(ScanLimits.defaults(), tight),
                layerWith("usr/lib/libhuge.so", elf).gzip());
        assertThat(f.status()).as(String.valueOf(f.notes())).isEqualTo(ScanStatus.COMPLETE);
        assertThat(f.cpu()).singleElement().satisfies(c -> {
            assertThat(c.dispatch()).as("found at the end of the symbol table").startsWith("defines __cpu_indicator_init");
            // Per function: the random code is no candidate of that probe, so its AVX stays required.
            assertThat(c.required()).contains("avx");
        });
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).as("spooled files are deleted").isEmpty();
        }
    }

    @Test
    void anElfTheBudgetCanLendIsReadOnTheHeapWithoutTouchingTheSpoolAndTheLoanComesBack() throws IOException {
        SyntheticElf elf = new SyntheticElf(300_000, 12 << 20); // ~22 MB
        Path notADirectory = Files.writeString(spool.resolve("plain-file"), "x"); // spooling here fails
        ScanMemory memory = new ScanMemory(ScanMemory.DEFAULT);
        byte[] layer = layerWith("usr/lib/libhuge.so", elf).gzip();

        LayerFindings f = Scans.scan(new LayerScanner(Scans.KB, ScanLimits.defaults(), memory, notADirectory), layer);
        assertThat(f.status()).as(String.valueOf(f.notes())).isEqualTo(ScanStatus.COMPLETE);
        assertThat(f.cpu()).singleElement().satisfies(c -> assertThat(c.required()).contains("avx"));
        assertThat(memory.available()).as("the loan is given back").isEqualTo(memory.bytes());

        ScanMemory tight = new ScanMemory(ScanMemory.PER_SCAN + 16 * ScanMemory.CHUNK);
        LayerFindings spooled = Scans.scan(new LayerScanner(Scans.KB, ScanLimits.defaults(), tight, notADirectory), layer);
        assertThat(spooled.failure()).as("without the loan it must spool, and cannot here").isEqualTo(FailureKind.IO);
    }

    @Test
    void aBigElfCutByTheEndOfTheArchiveFailsTheLayerAsCorruptAndLeavesNoSpoolFile() throws IOException {
        SyntheticElf elf = new SyntheticElf(1000, ElfSpool.IN_HEAP + (4 << 20));
        byte[] tar;
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(
                layerWith("usr/lib/libcut.so", elf).gzip()))) {
            tar = in.readAllBytes();
        }
        LayerFindings f = Scans.scan(scanner(ScanLimits.defaults(), new ScanMemory(ScanMemory.DEFAULT)),
                java.util.Arrays.copyOf(tar, ElfSpool.IN_HEAP));
        assertThat(f.failure()).isEqualTo(FailureKind.CORRUPT);
        assertThat(f.reason()).containsIgnoringCase("truncated");
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anElfOverThePerFileLimitIsPartialWithTheReason() {
        SyntheticElf elf = new SyntheticElf(1000, 8 << 20);
        ScanLimits limits = new ScanLimits(1L << 30, 1000, 0, 1000, 1 << 20, 2 << 20, 1024);
        LayerFindings f = Scans.scan(scanner(limits, new ScanMemory(ScanMemory.DEFAULT)),
                layerWith("opt/big.so", elf).gzip());
        assertThat(f.status()).isEqualTo(ScanStatus.PARTIAL);
        assertThat(f.notes()).anySatisfy(n -> assertThat(n).contains("/opt/big.so").contains("per-file limit"));
        assertThat(f.cpu()).as("the code within the limit is analysed").isNotEmpty();
    }

    @Test
    void aLayerPastItsTimeLimitStopsPartialWithTheReason() {
        LayerFindings f = Scans.scan(scanner(ScanLimits.defaults().withMaxLayerTime(Duration.ofNanos(1)),
                new ScanMemory(ScanMemory.DEFAULT)), new LayerBuilder().file("usr/lib/libasound.so.2", "x").gzip());
        assertThat(f.status()).isEqualTo(ScanStatus.PARTIAL);
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("time limit of 0 s per layer");
    }

    @Test
    void findingsOutgrowingTheMemoryBudgetStopTheScanPartialWithTheReason() {
        StreamedLayer many = StreamedLayer.of(w -> {
            for (int i = 0; i < 20_000; i++) {
                w.file("bin/tool-" + i, 0, 0755, out -> { });
            }
        });
        ScanMemory memory = new ScanMemory(ScanMemory.PER_SCAN + ScanMemory.CHUNK);
        LayerFindings f = Scans.scan(scanner(ScanLimits.defaults(), memory), many.gzip());
        assertThat(f.status()).isEqualTo(ScanStatus.PARTIAL);
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("scan memory budget (hardware.scanMemory)");
        assertThat(f.executables()).isNotEmpty().hasSizeLessThan(20_000);
        assertThat(memory.available()).as("released when the scan ends").isEqualTo(memory.bytes());

        LayerFindings roomy = Scans.scan(scanner(ScanLimits.defaults(), new ScanMemory(ScanMemory.DEFAULT)), many.gzip());
        assertThat(roomy.status()).isEqualTo(ScanStatus.COMPLETE);
        assertThat(roomy.executables()).hasSize(20_000);
    }

    @Test
    void aScanWaitsForItsShareWhileOthersHoldTheBudget() throws Exception {
        ScanMemory memory = new ScanMemory(ScanMemory.PER_SCAN + ScanMemory.CHUNK);
        LayerScanner s = scanner(ScanLimits.defaults(), memory);
        byte[] layer = new LayerBuilder().file("usr/lib/libasound.so.2", "x").gzip();
        CompletableFuture<LayerFindings> waiting;
        try (ScanMemory.Reservation held = memory.admit()) {
            waiting = CompletableFuture.supplyAsync(() -> Scans.scan(s, layer));
            assertThat(memory.available()).isLessThan(ScanMemory.PER_SCAN);
            assertThat(waiting).isNotDone();
        }
        assertThat(waiting.get(30, TimeUnit.SECONDS).status()).isEqualTo(ScanStatus.COMPLETE);
    }
}
