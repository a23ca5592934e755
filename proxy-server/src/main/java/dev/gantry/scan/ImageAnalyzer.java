package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.scan.image.EntrypointResolver;
import dev.gantry.scan.image.ImageConfig;
import dev.gantry.scan.image.ImageDocuments;
import dev.gantry.scan.image.MergedFilesystem;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.schema.Descriptor;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import java.io.IOException;
import java.time.Clock;
import java.util.List;

/**
 * Builds the hardware document of one platform of an image from its config
 * and its layers' stored {@link LayerFindings} — never from the layers
 * themselves, so layers shared between images are scanned once.
 *
 * <p>Layers are merged in order honouring whiteouts and opaque directories;
 * the config's {@code Env} (with the NVIDIA requirement grammar),
 * {@code Labels}, {@code Volumes} and {@code Entrypoint}/{@code Cmd} add their
 * findings; the entry point is followed through {@code PATH}, symbolic links,
 * wrapper scripts and interpreters to the programs it runs, and their
 * {@code DT_NEEDED} closure in the image's own search path decides what is
 * required (only code it loads; an entry point loading libcuda makes the GPU
 * required). Every finding carries its evidence.
 *
 * <p>Never throws for bad input: a config that is not JSON gives a document
 * with status {@code failed} and a note. Immutable and thread-safe; the clock
 * stamps {@code scan.time}.
 */
public final class ImageAnalyzer {
    private final KnowledgeBase kb;
    private final Clock clock;
    private final ObjectMapper mapper = HardwareJson.mapper();

    public ImageAnalyzer(KnowledgeBase kb, Clock clock) {
        this.kb = requireNonNull(kb, "kb");
        this.clock = requireNonNull(clock, "clock");
    }

    /**
     * Analyses one platform of an image.
     *
     * @param subject the platform manifest's descriptor, or null when there is none (e.g. a local layout
     *     read by path)
     * @param platform the platform as the index lists it, or null to take it from the config
     * @param configJson the image config blob
     * @param layers the findings of every layer of the manifest, bottom layer first
     * @return a document that validates against the hardware schema
     */
    public HardwareDocument analyze(Descriptor subject, ImagePlatform platform, byte[] configJson,
            List<LayerFindings> layers) {
        requireNonNull(configJson, "configJson");
        requireNonNull(layers, "layers");
        ImageConfig config;
        String configProblem = null;
        try {
            config = ImageConfig.parse(configJson, mapper);
        } catch (IOException e) {
            config = ImageConfig.EMPTY;
            configProblem = "the image config is not valid JSON: " + e.getMessage();
        }
        ImagePlatform p = platform != null ? platform : new ImagePlatform(
                config.os() == null ? "linux" : config.os(),
                config.architecture() == null ? "amd64" : config.architecture(), config.variant());
        MergedFilesystem fs = MergedFilesystem.of(layers);
        return new ImageDocuments(kb, LayerScanner.VERSION, clock)
                .build(subject, p, config, configProblem, fs, new EntrypointResolver(fs), layers);
    }
}
