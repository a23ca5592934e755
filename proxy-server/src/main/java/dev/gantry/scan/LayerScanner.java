package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import dev.gantry.oci.Digest;
import dev.gantry.scan.elf.ElfAnalyzer;
import dev.gantry.scan.kb.KnowledgeBase;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Scans one layer blob for hardware evidence: streams it (gzip, zstd or
 * plain tar, detected from the bytes), matches every entry against the
 * knowledge base, analyses every ELF file (dependencies, notes, Go build
 * info, instructions) and records device nodes, links and whiteouts for the
 * image-level merge.
 *
 * <p><b>Contract.</b> {@link #scan} blocks until the layer is read (run it on
 * a bounded executor, never on an event loop); it never throws for bad
 * input — a corrupt, hostile or oversized layer yields {@link LayerFindings}
 * with status {@code failed} and the reason, and a reading error of the blob
 * itself yields a {@linkplain LayerFindings#retryable() retryable} failure.
 * It reads the blob until the end of the tar archive (and any trailer) but
 * does not close it: the caller opened it and closes it. The heap of all
 * concurrent scans is bounded by their {@link ScanMemory}: a scan waits for
 * its share, and one whose findings outgrow what is left, or that runs past
 * {@link ScanLimits#maxLayerTime()}, stops there with status {@code partial}
 * and the reason. The heap holds one bounded, reused buffer for ELF files up
 * to 16 MiB; bigger ones are spooled to {@code spoolDir} and mapped, up to
 * {@link ScanLimits#maxElfBytes()}.
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #scan} may be called from many
 * threads at once.
 */
public final class LayerScanner {
    /**
     * Version of the scanning code (3: CPU evidence per function, data in code skipped). Bump it whenever a change would make a
     * scan of the same bytes produce different findings, so stored findings
     * are recognised as stale and rescanned.
     */
    public static final String VERSION = "3";

    private final KnowledgeBase kb;
    private final ScanLimits limits;
    private final ScanMemory memory;
    private final Path spoolDir;
    private final ElfAnalyzer elf;

    /** A scanner with its own {@link ScanMemory#DEFAULT} budget, spooling big files to the system's temp dir. */
    public LayerScanner(KnowledgeBase kb, ScanLimits limits) {
        this(kb, limits, new ScanMemory(ScanMemory.DEFAULT), Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * @param memory the heap budget shared by this scanner's concurrent scans
     * @param spoolDir where ELF files too big for the heap buffer are spooled while analysed (created when
     *     missing; each file is deleted as soon as it is mapped)
     */
    public LayerScanner(KnowledgeBase kb, ScanLimits limits, ScanMemory memory, Path spoolDir) {
        this.kb = requireNonNull(kb, "kb");
        this.limits = requireNonNull(limits, "limits");
        this.memory = requireNonNull(memory, "memory");
        this.spoolDir = requireNonNull(spoolDir, "spoolDir");
        this.elf = new ElfAnalyzer(kb.sectionNames(), kb.dispatchApis());
    }

    /**
     * Scans a layer.
     *
     * @param layer the layer's digest, recorded in the findings (the scanner does not verify it:
     *     the fill path already did)
     * @param mediaType the declared media type; informational only, since compression is
     *     detected from the bytes (may be null)
     * @param blob the blob's bytes; not closed
     */
    public LayerFindings scan(Digest layer, String mediaType, InputStream blob) {
        requireNonNull(layer, "layer");
        requireNonNull(blob, "blob");
        ScanMemory.Reservation share;
        try {
            share = memory.admit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LayerRecord.interrupted(layer, kb);
        }
        try (share) {
            return new LayerWalk(kb, limits, elf, new ElfSpool(spoolDir, share), share).run(layer, blob);
        }
    }

    /** Whether findings were made by this scanner version with this knowledge base (else rescan). */
    public boolean isCurrent(LayerFindings findings) {
        return VERSION.equals(findings.scanner()) && kb.version().equals(findings.knowledgeBase());
    }

    public KnowledgeBase knowledgeBase() {
        return kb;
    }
}
