package dev.gantry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.app.Gantry;
import dev.gantry.config.ConfigException;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import dev.gantry.hardware.HardwareService;
import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
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
        this.plainHttp = plainHttp;
        this.creds = creds;
        this.cache = cache;
        this.platform = platform;
        this.kbDir = kbDir;
    }

    int run(PrintWriter out, PrintWriter err, boolean json) {
        ObjectMapper mapper = HardwareJson.mapper();
        try {
            Path dir = cache != null ? cache : Files.createTempDirectory("gantry-scan");
            StringBuilder yaml = new StringBuilder("listen: 127.0.0.1:0\n")
                    .append("upstreams:\n  - name: ").append(image.registry()).append("\n    url: ").append(image.url(plainHttp))
                    .append("\n    default: true\n    private: false\n");
            if (creds != null) {
                int colon = creds.indexOf(':');
                yaml.append("    username: \"").append(creds, 0, Math.max(colon, 0)).append("\"\n    password: \"")
                        .append(colon < 0 ? "" : creds.substring(colon + 1).replace("\"", "\\\"")).append("\"\n");
            }
            yaml.append("storage:\n  memory: {maxBytes: 0}\n  disk: {path: \"").append(dir).append("\"}\n")
                    .append("prefetch: {mode: \"off\"}\n")
                    .append("hardware:\n  scan: false\n  scanThreads: ").append(Math.max(1, Runtime.getRuntime().availableProcessors()))
                    .append(kbDir == null ? "\n" : "\n  knowledgeBase: \"" + kbDir + "\"\n")
                    .append("server: {accessLog: false, shutdownGrace: 0s}\n");
            GantryConfig config = ConfigLoader.withSystemEnvironment()
                    .load(new ByteArrayInputStream(yaml.toString().getBytes(StandardCharsets.UTF_8)), "gantry scan");
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
        } catch (IOException | RegistryException | ConfigException | IllegalArgumentException | TimeoutException e) {
            err.println("gantry scan " + image + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        err.flush();
        return 1;
    }
}
