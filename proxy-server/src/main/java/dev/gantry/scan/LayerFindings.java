package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.gantry.schema.HardwareJson;
import dev.gantry.schema.ScanStatus;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one layer contains that matters for hardware: the record the server
 * stores next to the blob, keyed by layer digest, and the only input (with
 * the image config) of {@link ImageAnalyzer} — layers are never re-read to
 * build an image's document, so a layer shared by many images is scanned once.
 *
 * <p>Serialise with Jackson ({@link #MEDIA_TYPE}; any {@code ObjectMapper}
 * works, {@link HardwareJson#mapper()} gives sorted,
 * compact output). {@link #scanner} and {@link #knowledgeBase} say which code
 * and knowledge base produced it; {@link LayerScanner#isCurrent} tells whether
 * it is stale. A {@link ScanStatus#FAILED failed} scan still carries what was
 * found before the failure; a {@link FailureKind#retryable() retryable}
 * failure should not be stored.
 *
 * @param format this record's format, {@value #FORMAT}
 * @param layer the layer digest
 * @param scanner {@link LayerScanner#VERSION} of the scanner that made it
 * @param knowledgeBase {@code KnowledgeBase.version()} of the knowledge base used
 * @param status complete, partial (some content was skipped: see notes, or a {@link ScanLimits} bound
 *     stopped the scan early: see failure and reason) or failed
 * @param failure why the scan stopped, when failed or stopped at a limit ({@link FailureKind#LIMIT}, partial)
 * @param reason the failure in words, when failed or stopped at a limit
 * @param notes what was skipped or only partly analysed, when partial (bounded in number)
 * @param compression {@code gzip}, {@code zstd} or {@code none}, as detected from the bytes
 * @param compressedBytes bytes read from the blob
 * @param expandedBytes decompressed (tar) bytes read
 * @param entries tar entries read
 * @param files knowledge-base matches on files
 * @param cpu ELF files using CPU features beyond the baseline
 * @param executables every regular file with an execute bit, for resolving the entrypoint
 * @param elfFiles the subset of {@code executables} that are ELF programs
 * @param symlinks symbolic links, path to target as written
 * @param hardlinks hard links, path to the absolute path of their target
 * @param devices device nodes and other entries under /dev
 * @param whiteouts paths this layer deletes from the layers below ({@code .wh.<name>})
 * @param opaqueDirs directories whose lower-layer contents this layer hides ({@code .wh..wh..opq})
 * @param loader what loading each ELF file, script and loader configuration file involves, for following
 *     the image's entry point to the files it loads (absent in findings of scanner version 2 and older)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"format", "layer", "scanner", "knowledgeBase", "status", "failure", "reason", "notes",
        "compression", "compressedBytes", "expandedBytes", "entries"})
public record LayerFindings(
        int format, String layer, String scanner, String knowledgeBase, ScanStatus status,
        FailureKind failure, String reason, List<String> notes, String compression,
        long compressedBytes, long expandedBytes, long entries,
        List<FileFinding> files, List<CpuFinding> cpu, List<String> executables, List<String> elfFiles,
        Map<String, String> symlinks, Map<String, String> hardlinks, List<DeviceEntry> devices,
        List<String> whiteouts, List<String> opaqueDirs, List<LoaderFinding> loader) {

    /** The format written by this code. */
    public static final int FORMAT = 1;
    /** Media type for storing a serialised record, e.g. as a blob beside the layer. */
    public static final String MEDIA_TYPE = "application/vnd.gantry.layer-findings.v1+json";

    public LayerFindings {
        requireNonNull(layer, "layer");
        requireNonNull(scanner, "scanner");
        requireNonNull(knowledgeBase, "knowledgeBase");
        requireNonNull(status, "status");
        notes = copy(notes);
        files = copy(files);
        cpu = copy(cpu);
        executables = copy(executables);
        elfFiles = copy(elfFiles);
        symlinks = sorted(symlinks);
        hardlinks = sorted(hardlinks);
        devices = copy(devices);
        whiteouts = copy(whiteouts);
        opaqueDirs = copy(opaqueDirs);
        loader = copy(loader);
    }

    private static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    private static Map<String, String> sorted(Map<String, String> map) {
        return Collections.unmodifiableSortedMap(map == null ? new TreeMap<>() : new TreeMap<>(map));
    }

    /** Whether the scan stopped for a reason another attempt could avoid (reading the blob failed). */
    @JsonIgnore
    public boolean retryable() {
        return failure != null && failure.retryable();
    }
}
