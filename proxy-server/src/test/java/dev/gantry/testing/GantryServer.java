package dev.gantry.testing;

import dev.gantry.app.Gantry;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.DiskConfig;
import dev.gantry.config.GantryConfig;
import dev.gantry.config.StorageConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

/** Gantry started in-process from YAML, on a free port, with its disk tier in a test directory. */
public final class GantryServer implements Replica {

    private final Gantry gantry;

    private GantryServer(Gantry gantry) {
        this.gantry = gantry;
    }

    /**
     * @param yaml configuration without {@code listen} and {@code storage.disk.path}, which this sets
     */
    public static GantryServer start(String yaml, Path dataDir, Clock clock) {
        String full = "listen: 127.0.0.1:0\n" + yaml;
        GantryConfig config = ConfigLoader.withSystemEnvironment()
                .load(new ByteArrayInputStream(full.getBytes(StandardCharsets.UTF_8)), "test configuration");
        if (!yaml.contains("storage:")) {
            config = config.withStorage(new StorageConfig(
                    new DiskConfig(dataDir.toString(), null)));
        }
        try {
            return new GantryServer(Gantry.start(config, clock));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A mirror of one upstream named {@code docker.io} (the default) at {@code upstreamUrl}. */
    public static GantryServer mirroring(String upstreamUrl, Path dataDir, Clock clock) {
        return start("upstreams:\n  - name: docker.io\n    url: " + upstreamUrl + "\n    default: true\n", dataDir, clock);
    }

    public String url() {
        return gantry.url();
    }

    /** {@code 127.0.0.1:port} */
    public String hostPort() {
        return gantry.address().getHostString() + ":" + gantry.address().getPort();
    }

    public Gantry gantry() {
        return gantry;
    }

    @Override
    public void close() {
        gantry.close();
    }
}
