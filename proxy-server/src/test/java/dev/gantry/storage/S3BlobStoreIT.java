package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.content.BodyConsumer;
import dev.gantry.content.ByteStream;
import dev.gantry.oci.Digest;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.S3ProxyServer;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
        return new S3BlobStore(scoped, tmp.resolve("spool"), clock);
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Void> done = new CompletableFuture<>();
        stream.subscribe(new BodyConsumer() {
            @Override
            public CompletionStage<?> onData(ByteBuf chunk) {
                try {
                    chunk.readBytes(out, chunk.readableBytes());
                    return CompletableFuture.completedFuture(null);
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(e);
                } finally {
                    chunk.release();
                }
            }

            @Override
            public void onEnd() {
                done.complete(null);
            }

            @Override
            public void onError(Throwable cause) {
                done.completeExceptionally(cause);
            }
        });
        done.join();
        assertThat(out.toByteArray()).isEqualTo(bytes);
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
