package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.content.BodyCollector;
import dev.gantry.content.ByteStream;
import dev.gantry.oci.Digest;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blob-store contract against a real S3 API server (S3Proxy), plus what is S3's own. */
class S3BlobStoreIT extends BlobStoreContract {

    @TempDir
    static Path tmp;

    static S3ProxyServer s3;
    static S3Bucket bucket;
    static final MutableClock clock = MutableClock.startingNow();

    @BeforeAll
    static void startServer() {
        s3 = S3ProxyServer.start(tmp.resolve("s3"));
        s3.createBucket("contract");
    }

    @AfterAll
    static void stopServer() {
        if (bucket != null) {
            bucket.close();
        }
        s3.close();
    }

    @Override
    protected BlobStore newStore() throws Exception {
        if (bucket == null) {
            bucket = S3Bucket.open(s3.config("contract", ""));
        }
        // A fresh prefix per test: an empty store on the shared bucket.
        S3Bucket scoped = new S3Bucket(bucket.client(), "contract", "t-" + UUID.randomUUID() + "/");
        return new S3BlobStore(scoped, tmp.resolve("spool"), clock, 200_000, 200_000);
    }

    @Test
    void largeBlobsGoUpInPartsAndComeBackWhole() throws Exception {
        byte[] big = random(40 << 20, 7);
        Digest d = put(big);
        assertThat(store.stat(d).join()).hasValue(big.length);
        assertThat(Digest.sha256(read(store.open(d, 0, big.length).join()))).isEqualTo(d);
    }

    @Test
    void aWholeBlobStreamsWithBackPressureForAFill() throws Exception {
        byte[] bytes = random(3 << 20, 8);
        Digest d = put(bytes);
        ByteStream stream = ((S3BlobStore) store).read(d).join();
        assertThat(stream.contentLength()).isEqualTo(bytes.length);
        BodyCollector collector = new BodyCollector(stream.contentLength(), bytes.length,
                size -> new AssertionError("more bytes than stored: " + size));
        stream.subscribe(collector);
        assertThat(collector.result().join()).isEqualTo(bytes);
    }

    @Test
    void listingReportsTheLastAccessFromAccessMarkers() throws Exception {
        S3BlobStore s = (S3BlobStore) store;
        Digest d = put(random(1000, 9));
        clock.advance(Duration.ofDays(3));
        s.touch(d).join();
        List<StoredBlob> listed = s.list();
        assertThat(listed).singleElement().satisfies(b -> {
            assertThat(b.digest()).isEqualTo(d);
            assertThat(Duration.between(b.lastAccess(), clock.instant()).toDays()).isZero();
        });
    }

    @Test
    void theMetadataStoreRoundTripsAndLists() throws Exception {
        S3MetadataStore meta = new S3MetadataStore(new S3Bucket(bucket.client(), "contract", "m-" + UUID.randomUUID() + "/"));
        meta.put("repositories/docker.io/library/alpine/_tags/3", "{\"a\":1}".getBytes());
        meta.put("repositories/docker.io/library/alpine/_tags/latest", "{\"a\":2}".getBytes());
        assertThat(meta.get("repositories/docker.io/library/alpine/_tags/3")).hasValueSatisfying(v -> assertThat(new String(v)).isEqualTo("{\"a\":1}"));
        assertThat(meta.get("nope")).isEmpty();
        assertThat(meta.list("repositories/docker.io/library/alpine/_tags/")).containsExactly("3", "latest");
        assertThat(meta.exists("repositories/docker.io/library/alpine/_tags/3")).isTrue();
        assertThat(meta.delete("repositories/docker.io/library/alpine/_tags/3")).isTrue();
        assertThat(meta.exists("repositories/docker.io/library/alpine/_tags/3")).isFalse();
        assertThat(Files.exists(tmp)).isTrue();
    }
}
