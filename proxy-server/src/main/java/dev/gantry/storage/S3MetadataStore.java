package dev.gantry.storage;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Metadata records as objects under {@code <prefix>meta/}. Blocking, like
 * every {@link MetadataStore}; failures surface as {@link IOException}.
 */
public final class S3MetadataStore implements MetadataStore {

    /** Metadata calls sit on request paths: fail fast and let the local tier answer. */
    private static final Consumer<software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration.Builder> TIMEOUT =
            o -> o.apiCallTimeout(Duration.ofSeconds(10));

    private final S3Bucket bucket;

    public S3MetadataStore(S3Bucket bucket) {
        this.bucket = bucket;
    }

    /**
     * Refuses a key with a {@code ..} or {@code .} path segment or a leading
     * slash, as the disk store does; two dots inside a segment are legal (the
     * tag "v1..2" matches the tag grammar).
     */
    private String key(String k) {
        if (k.startsWith("/") || k.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("metadata key outside the store: " + k);
        }
        for (String segment : k.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new IllegalArgumentException("metadata key outside the store: " + k);
            }
        }
        return bucket.key("meta/" + k);
    }

    @Override
    public Optional<byte[]> get(String k) throws IOException {
        try {
            return Optional.of(bucket.client().getObject(b -> b.bucket(bucket.bucket()).key(key(k)).overrideConfiguration(TIMEOUT),
                    AsyncResponseTransformer.toBytes()).join().asByteArray());
        } catch (CompletionException e) {
            if (S3Bucket.isNotFound(e)) {
                return Optional.empty();
            }
            throw new IOException("reading " + k + " from " + bucket + " failed", S3Bucket.unwrap(e));
        }
    }

    @Override
    public boolean exists(String k) throws IOException {
        try {
            bucket.client().headObject(b -> b.bucket(bucket.bucket()).key(key(k)).overrideConfiguration(TIMEOUT)).join();
            return true;
        } catch (CompletionException e) {
            if (S3Bucket.isNotFound(e)) {
                return false;
            }
            throw new IOException("checking " + k + " in " + bucket + " failed", S3Bucket.unwrap(e));
        }
    }

    @Override
    public void put(String k, byte[] value) throws IOException {
        try {
            bucket.client().putObject(b -> b.bucket(bucket.bucket()).key(key(k)).overrideConfiguration(TIMEOUT), AsyncRequestBody.fromBytes(value)).join();
        } catch (CompletionException e) {
            throw new IOException("writing " + k + " to " + bucket + " failed", S3Bucket.unwrap(e));
        }
    }

    @Override
    public boolean delete(String k) throws IOException {
        boolean existed = exists(k);
        try {
            bucket.client().deleteObject(b -> b.bucket(bucket.bucket()).key(key(k)).overrideConfiguration(TIMEOUT)).join();
            return existed;
        } catch (CompletionException e) {
            throw new IOException("deleting " + k + " from " + bucket + " failed", S3Bucket.unwrap(e));
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        String full = key(prefix);
        List<String> names = new ArrayList<>();
        try {
            bucket.client().listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket.bucket())
                    .prefix(full).delimiter("/").build()).contents()
                    .subscribe((S3Object o) -> {
                        if (!o.key().endsWith("/")) {
                            names.add(o.key().substring(full.length()));
                        }
                    }).join();
        } catch (CompletionException e) {
            throw new IOException("listing " + prefix + " in " + bucket + " failed", S3Bucket.unwrap(e));
        }
        names.sort(String::compareTo);
        return names;
    }

    @Override
    public List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
        String full = key(prefix);
        List<S3Object> objects = new ArrayList<>();
        try {
            bucket.client().listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket.bucket())
                    .prefix(full).delimiter("/").build()).contents()
                    .subscribe((S3Object o) -> {
                        if (!o.key().endsWith("/")) {
                            objects.add(o);
                        }
                    }).join();
        } catch (CompletionException e) {
            throw new IOException("listing " + prefix + " in " + bucket + " failed", S3Bucket.unwrap(e));
        }
        List<MetadataStoreEntry> entries = new ArrayList<>();
        for (S3Object o : objects) {
            // Both are required in a ListObjectsV2 answer; a server that leaves one out is not S3 enough to poll.
            if (o.eTag() == null || o.lastModified() == null) {
                throw new IOException(bucket + " listed " + o.key() + " without an ETag or LastModified");
            }
            entries.add(new MetadataStoreEntry(o.key().substring(full.length()), o.eTag(), o.lastModified()));
        }
        entries.sort(Comparator.comparing(MetadataStoreEntry::name));
        return entries;
    }

    /** Every key under {@code prefix}, at any depth, relative to it. */
    @Override
    public List<String> listRecursive(String prefix) throws IOException {
        String root = key(prefix);
        List<String> names = new ArrayList<>();
        try {
            bucket.client().listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket.bucket())
                    .prefix(key(prefix)).build()).contents()
                    .subscribe((S3Object o) -> {
                        if (!o.key().endsWith("/")) {
                            names.add(o.key().substring(root.length()));
                        }
                    }).join();
        } catch (CompletionException e) {
            throw new IOException("listing " + prefix + " in " + bucket + " failed", S3Bucket.unwrap(e));
        }
        names.sort(String::compareTo);
        return names;
    }
}
