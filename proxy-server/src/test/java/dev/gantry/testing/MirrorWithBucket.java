package dev.gantry.testing;

import java.nio.file.Path;
import java.util.List;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The world of the shared-tier tests: a real upstream registry
 * (Distribution) and a real S3 API server (S3Proxy) holding one bucket, and
 * the configuration of a Gantry that mirrors the upstream (as docker.io, the
 * default) with the bucket as its shared tier. Close it after the Gantry
 * processes that use it.
 */
public final class MirrorWithBucket implements AutoCloseable {

    public static final String BUCKET = "gantry";

    private final DistributionRegistry upstream;
    private final S3ProxyServer s3;

    private MirrorWithBucket(DistributionRegistry upstream, S3ProxyServer s3) {
        this.upstream = upstream;
        this.s3 = s3;
    }

    /** Starts both servers under {@code dir} and creates the bucket. */
    public static MirrorWithBucket start(Path dir) {
        DistributionRegistry upstream = DistributionRegistry.start(dir.resolve("upstream"));
        try {
            S3ProxyServer s3 = S3ProxyServer.start(dir.resolve("s3"));
            s3.createBucket(BUCKET);
            return new MirrorWithBucket(upstream, s3);
        } catch (RuntimeException e) {
            upstream.close();
            throw e;
        }
    }

    public DistributionRegistry upstream() {
        return upstream;
    }

    public S3ProxyServer s3() {
        return s3;
    }

    /**
     * Configuration of a Gantry mirroring this upstream, its disk tier under
     * {@code data}, the bucket under {@code prefix} as its shared tier.
     * {@code diskLines}: more settings of {@code storage.disk}, indented, or "".
     */
    public String gantryYaml(Path data, String prefix, String diskLines) {
        return yaml(upstream.url(), data, diskLines, s3, prefix);
    }

    /** The same configuration for any upstream (a scripted one, say) in front of a bucket of {@code s3}. */
    public static String yaml(String upstreamUrl, Path data, String diskLines, S3ProxyServer s3, String prefix) {
        return "upstreams:\n  - name: docker.io\n    url: " + upstreamUrl + "\n    default: true\n"
                + "storage:\n  disk:\n    path: " + data + "\n" + diskLines + s3.yaml(BUCKET, prefix);
    }

    /** The keys in the bucket under {@code prefix}, as the bucket lists them. */
    public List<String> keys(String prefix) {
        try (S3AsyncClient c = s3.client()) {
            return c.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).join().contents().stream().map(S3Object::key).toList();
        }
    }

    @Override
    public void close() {
        s3.close();
        upstream.close();
    }
}
