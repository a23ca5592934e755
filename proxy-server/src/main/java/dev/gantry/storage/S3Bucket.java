package dev.gantry.storage;

import dev.gantry.config.S3Config;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * One bucket and key prefix, and the async client that reaches it. The key
 * layout mirrors the disk tier's:
 *
 * <pre>
 * &lt;prefix&gt;blobs/&lt;alg&gt;/&lt;hex&gt;      verified blob content
 * &lt;prefix&gt;access/&lt;alg&gt;/&lt;hex&gt;     last read of a blob by any replica (epoch millis), for retention
 * &lt;prefix&gt;meta/&lt;key&gt;               metadata records (see {@link StorageLayout})
 * &lt;prefix&gt;uploads/&lt;id&gt;/...          upload sessions of hosted repositories (see {@link S3UploadSessions})
 * </pre>
 */
public final class S3Bucket implements AutoCloseable {

    private final S3AsyncClient client;
    private final String bucket;
    private final String prefix;

    S3Bucket(S3AsyncClient client, String bucket, String prefix) {
        this.client = client;
        this.bucket = bucket;
        this.prefix = prefix == null || prefix.isEmpty() || prefix.endsWith("/") ? (prefix == null ? "" : prefix) : prefix + "/";
    }

    /** Builds the client from configuration: path style, endpoint, credentials, timeouts. */
    public static S3Bucket open(S3Config config) {
        AwsCredentialsProvider credentials = config.accessKeyId() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKeyId(), config.secretAccessKey()))
                : DefaultCredentialsProvider.builder().build();
        S3AsyncClientBuilder b = S3AsyncClient.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .credentialsProvider(credentials)
                // S3-compatible servers (MinIO, Ceph, S3Proxy) differ in their support of the SDK's
                // default trailing checksums; content is verified by digest on our side instead.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(64)
                        .connectionTimeout(Duration.ofSeconds(5))
                        .readTimeout(Duration.ofSeconds(30))
                        .writeTimeout(Duration.ofSeconds(30)));
        if (config.endpoint() != null) {
            b.endpointOverride(URI.create(config.endpoint()));
        }
        return new S3Bucket(b.build(), config.bucket(), config.prefix());
    }

    S3AsyncClient client() {
        return client;
    }

    String bucket() {
        return bucket;
    }

    String prefix() {
        return prefix;
    }

    String key(String relative) {
        return prefix + relative;
    }

    /** Whether a failure means "no such object" rather than trouble. */
    static boolean isNotFound(Throwable t) {
        Throwable c = unwrap(t);
        return c instanceof NoSuchKeyException
                || c instanceof SdkServiceException s && s.statusCode() == 404;
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix;
    }

    @Override
    public void close() {
        client.close();
    }
}
