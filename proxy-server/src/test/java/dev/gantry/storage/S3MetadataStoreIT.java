package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The metadata contract against a real S3 API server (S3Proxy). */
class S3MetadataStoreIT extends MetadataStoreContract {

    @TempDir
    static Path tmp;

    static S3ProxyServer s3;
    static S3Bucket bucket;
    private String prefix;

    @BeforeAll
    static void startServer() {
        s3 = S3ProxyServer.startInMemory(tmp.resolve("s3"));
        s3.createBucket("meta-contract");
        bucket = S3Bucket.open(s3.config("meta-contract", ""));
    }

    @AfterAll
    static void stopServer() {
        if (bucket != null) {
            bucket.close();
        }
        s3.close();
    }

    @Override
    protected MetadataStore newStore() {
        // A fresh prefix per test: an empty store on the shared bucket.
        prefix = "t-" + UUID.randomUUID() + "/";
        return new S3MetadataStore(new S3Bucket(bucket.client(), "meta-contract", prefix));
    }

    @Override
    protected void assertEscapedNothing() throws Exception {
        List<String> keys = new CopyOnWriteArrayList<>();
        bucket.client().listObjectsV2Paginator(b -> b.bucket("meta-contract")).contents()
                .subscribe((S3Object o) -> keys.add(o.key())).join();
        assertThat(keys).noneMatch(k -> k.contains("escaped"));
        try (Stream<Path> all = Files.walk(tmp)) {
            assertThat(all.filter(p -> p.getFileName().toString().contains("escaped"))).isEmpty();
        }
    }

}
