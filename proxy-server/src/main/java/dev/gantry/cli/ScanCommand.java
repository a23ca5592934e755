package dev.gantry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.kb.KnowledgeBaseException;
import dev.gantry.scan.layout.OciLayout;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gantry scan IMAGE}: the scanner without a server. IMAGE is written
 * as skopeo users write it ({@link ScanTarget}).
 * An image reference is fetched from its registry (once, through Gantry's own
 * pull path, into a cache directory) and scanned; a layout is read from disk. Scans
 * every layer of every image manifest in an OCI image layout once (shared
 * layers once), and prints each platform's hardware document, for people by
 * default or as JSON with {@code --json} (one document, or an array when the
 * layout holds several platforms). Exit status 0, or 1 when the layout cannot
 * be read.
 */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = "Print the hardware an image needs, from an image reference or an OCI image layout directory.")
public final class ScanCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE",
            description = "An image as skopeo names it: [docker://][registry/]repository[:tag|@digest], oci:DIR[:TAG], "
                    + "dir:DIR, or the path of an OCI layout or dir: directory.")
    String target;

    @Option(names = "--plain-http", description = "Reach the image's registry over HTTP (default for localhost and 127.*).")
    boolean plainHttp;

    @Option(names = "--creds", paramLabel = "USER:PASSWORD", description = "Credentials for the image's registry.")
    String creds;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where fetched layers are kept (default: a temporary directory).")
    Path cache;

    @Option(names = "--json", description = "Print the hardware document(s) as JSON.")
    boolean json;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Only this platform, e.g. linux/arm64.")
    String platform;

    @Option(names = "--kb", paramLabel = "DIR", description = "A knowledge base directory (default: the built-in copy).")
    Path kbDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper mapper = HardwareJson.mapper();
        ScanTarget what;
        try {
            what = ScanTarget.parse(target);
            if (!what.isLocal()) {
                return new RemoteScan(what.remote(), plainHttp, creds, cache, platform, kbDir).run(out, err, json);
            }
        } catch (IllegalArgumentException | RegistryException e) {
            err.println("gantry scan: " + e.getMessage());
            err.flush();
            return 1;
        }
        Path layout = what.layout();
        try {
            ImagePlatform wanted = platform == null ? null : ImagePlatform.parse(platform);
            KnowledgeBase kb = kbDir == null ? KnowledgeBase.embedded() : KnowledgeBase.load(kbDir);
            LayerScanner scanner = new LayerScanner(kb, ScanLimits.defaults());
            ImageAnalyzer analyzer = new ImageAnalyzer(kb, Clock.systemUTC());
            OciLayout oci = new OciLayout(layout, mapper);
            Map<Digest, LayerFindings> scanned = new HashMap<>();
            List<HardwareDocument> documents = new ArrayList<>();
            for (OciLayout.Image image : oci.images(what.tag())) {
                if (wanted != null && image.platform() != null && !matches(wanted, image.platform())) {
                    continue;
                }
                OciLayout.Manifest m = oci.manifest(Digest.parse(image.descriptor().digest()));
                List<LayerFindings> layers = new ArrayList<>();
                for (int i = 0; i < m.layers().size(); i++) {
                    Digest d = m.layers().get(i);
                    LayerFindings f = scanned.get(d);
                    if (f == null) {
                        try (InputStream in = oci.open(d)) {
                            f = scanner.scan(d, m.layerMediaTypes().get(i), in);
                        }
                        scanned.put(d, f);
                    }
                    layers.add(f);
                }
                HardwareDocument doc = analyzer.analyze(image.descriptor(), image.platform(), oci.blob(m.config()),
                        layers);
                if (wanted == null || matches(wanted, new ImagePlatform(doc.platform().os(),
                        doc.platform().architecture(), doc.platform().variant()))) {
                    documents.add(doc);
                }
            }
            if (documents.isEmpty()) {
                err.println("no image" + (wanted == null ? "" : " for platform " + wanted) + " in " + layout);
                return 1;
            }
            if (json) {
                out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(
                        documents.size() == 1 ? documents.get(0) : documents));
            } else {
                for (HardwareDocument d : documents) {
                    new HumanReport(out).print(d);
                }
            }
            out.flush();
            return 0;
        } catch (IOException | RegistryException | KnowledgeBaseException | IllegalArgumentException e) {
            err.println("gantry scan: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private static boolean matches(ImagePlatform wanted, ImagePlatform actual) {
        return wanted.os().equals(actual.os()) && wanted.architecture().equals(actual.architecture())
                && (wanted.variant() == null || wanted.variant().equals(actual.variant()));
    }
}
