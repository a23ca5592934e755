package dev.gantry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gantry.app.Gantry;
import dev.gantry.app.StartupException;
import dev.gantry.config.ConfigException;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import dev.gantry.hardware.HardwareService;
import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import dev.gantry.registry.Repository;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code gantry scan IMAGE-REF}: an in-process Gantry mirroring the image's
 * registry (listening on a loopback port nobody uses), asked for the image's
 * hardware documents exactly as the server would be. Layers are fetched once
 * into the cache directory and scanned there.
 */
final class RemoteScan {

    private final ImageReference image;
    private final boolean plainHttp;
    private final String creds;
    private final Path cache;
    private final String platform;
    private final Path kbDir;

    RemoteScan(String target, boolean plainHttp, String creds, Path cache, String platform, Path kbDir) {
        this.image = ImageReference.parse(target);
        RepositoryName.of(image.repository());
        Reference.parse(image.reference());
        this.plainHttp = plainHttp;
        this.creds = creds;
        this.cache = cache;
        this.platform = platform;
        this.kbDir = kbDir;
    }

    int run(PrintWriter out, PrintWriter err, boolean json) {
        ObjectMapper mapper = HardwareJson.mapper();
        Path dir = null;
        try {
            dir = cache != null ? cache : Files.createTempDirectory("gantry-scan");
            // Built from the user's values, never expanded: a password may hold "${".
            GantryConfig config = ConfigLoader.literal().load(new ByteArrayInputStream(configFor(dir)), "gantry scan");
            List<HardwareService.PlatformDocument> docs;
            try (Gantry gantry = Gantry.start(config, Clock.systemUTC())) {
                Repository repo = gantry.registry().resolver().resolve(image.registry() + "/" + image.repository(), null);
                Platform wanted = platform == null ? null : Platform.parse(platform);
                docs = gantry.hardware().documents(repo, Reference.parse(image.reference()), wanted).get(30, TimeUnit.MINUTES);
            }
            List<HardwareDocument> documents = docs.stream().map(HardwareService.PlatformDocument::document).toList();
            if (json) {
                out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(documents.size() == 1 ? documents.get(0) : documents));
            } else {
                for (HardwareDocument d : documents) {
                    new HumanReport(out).print(d);
                }
            }
            out.flush();
            return 0;
        } catch (ExecutionException e) {
            err.println("gantry scan " + image + ": " + (e.getCause() == null ? e : e.getCause()).getMessage());
        } catch (IOException | RegistryException | ConfigException | StartupException | IllegalArgumentException | TimeoutException e) {
            err.println("gantry scan " + image + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (cache == null && dir != null) {
                deleteTree(dir);
            }
        }
        err.flush();
        return 1;
    }

    /**
     * A mirror of the image's registry only, on a loopback port nobody uses,
     * keeping what it fetches in {@code dir}. Written as a tree, not as text, so
     * no name or password can break the YAML.
     */
    private byte[] configFor(Path dir) throws IOException {
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode c = yaml.createObjectNode().put("listen", "127.0.0.1:0");
        ObjectNode upstream = c.putArray("upstreams").addObject()
                .put("name", image.registry()).put("url", image.url(plainHttp)).put("default", true).put("private", false);
        if (creds != null) {
            int colon = creds.indexOf(':');
            upstream.put("username", colon < 0 ? creds : creds.substring(0, colon))
                    .put("password", colon < 0 ? "" : creds.substring(colon + 1));
        }
        ObjectNode storage = c.putObject("storage");
        storage.putObject("memory").put("maxBytes", "0");
        storage.putObject("disk").put("path", dir.toString());
        c.putObject("prefetch").put("mode", "off");
        ObjectNode hardware = c.putObject("hardware").put("scan", false)
                .put("scanThreads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        if (kbDir != null) {
            hardware.put("knowledgeBase", kbDir.toString());
        }
        c.putObject("server").put("accessLog", false).put("shutdownGrace", "0s");
        return yaml.writeValueAsBytes(c);
    }

    /** Removes what a scan fetched into its temporary directory (layers, spool, the token key). */
    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // Best effort: the directory is under the system's temporary directory.
        }
    }
}
