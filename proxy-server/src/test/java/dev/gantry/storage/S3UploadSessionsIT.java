package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.S3ProxyServer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload sessions in a real S3 API server (S3Proxy): what the expiry sweep deletes, and a session that lost a chunk. */
class S3UploadSessionsIT {

    private static final String BUCKET = "uploads";

    @TempDir
    static Path tmp;

    static S3ProxyServer s3;
    static S3Bucket client;

    private S3Bucket bucket;
    private S3UploadSessions sessions;

    @BeforeAll
    static void startServer() {
        s3 = S3ProxyServer.start(tmp.resolve("s3"));
        s3.createBucket(BUCKET);
        client = S3Bucket.open(s3.config(BUCKET, ""));
    }

    @AfterAll
    static void stopServer() {
        if (client != null) {
            client.close();
        }
        s3.close();
    }

    @BeforeEach
    void freshPrefix() {
        bucket = new S3Bucket(client.client(), BUCKET, "t-" + UUID.randomUUID() + "/");
        sessions = new S3UploadSessions(bucket, Clock.systemUTC());
    }

    private Path chunk(int size) throws Exception {
        Path file = Files.createTempFile(tmp, "chunk", ".bin");
        Files.write(file, new byte[size]);
        return file;
    }

    private List<String> keys(String id) {
        String prefix = bucket.key("uploads/" + id + "/");
        return client.client().listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).join().contents().stream()
                .map(o -> o.key().substring(prefix.length())).filter(k -> !k.endsWith("/")).toList();
    }

    @Test
    void theSweepDeletesWhatNoReplicaWroteToSinceTheCutoffAndLeavesLeasedAndActiveSessions() throws Exception {
        String idle = UUID.randomUUID().toString();
        String leased = UUID.randomUUID().toString();
        String active = UUID.randomUUID().toString();
        String orphan = UUID.randomUUID().toString();
        sessions.append(sessions.create(idle, "local/a"), chunk(100));
        sessions.create(leased, "local/a");
        sessions.create(active, "local/a");
        sessions.append(sessions.create(orphan, "local/a"), chunk(100));
        // The orphan's state is gone (a delete that failed half way): its chunk stays behind.
        client.client().deleteObject(b -> b.bucket(BUCKET).key(bucket.key("uploads/" + orphan + "/state"))).join();
        assertThat(keys(orphan)).hasSize(1);

        Instant cutoff = Instant.now().plusSeconds(1);
        // S3 stamps objects to the second: the lease is written a whole second after the cutoff.
        Awaits.until(() -> Instant.now().isAfter(cutoff.plusSeconds(1)), Duration.ofSeconds(5), "the clock past the cutoff");
        sessions.lease(leased);

        int deleted = sessions.expire(cutoff, active::equals);

        assertThat(deleted).as("the idle session and the orphan's chunk").isEqualTo(2);
        assertThat(keys(idle)).isEmpty();
        assertThat(keys(orphan)).isEmpty();
        assertThat(keys(leased)).as("its lease is newer than the cutoff").containsExactlyInAnyOrder("state", "lease");
        assertThat(sessions.find(active)).as("a request on this replica writes to it").isPresent();
    }

    @Test
    void aSessionThatLostAChunkCannotBeCopiedAndSaysSo() throws Exception {
        String id = UUID.randomUUID().toString();
        S3UploadSessions.Session s = sessions.append(sessions.append(sessions.create(id, "local/a"), chunk(10)), chunk(20));
        client.client().deleteObject(b -> b.bucket(BUCKET).key(bucket.key("uploads/" + id + "/chunks/" + "%020d".formatted(10))))
                .join();
        BlobWriter out = new BlobWriter() { // where the completing replica would hash the session's bytes
            private long written;

            @Override
            public void write(ByteBuffer src) {
                written += src.remaining();
                src.position(src.limit());
            }

            @Override
            public long written() {
                return written;
            }

            @Override
            public dev.gantry.oci.Digest commit() {
                throw new AssertionError("not committed here");
            }

            @Override
            public void abort() {
            }
        };
        assertThatThrownBy(() -> sessions.copyTo(s, out)).isInstanceOf(BrokenUploadException.class)
                .hasMessageContaining("chunk at 10");
        assertThat(out.written()).as("the chunk before it").isEqualTo(10);
    }
}
