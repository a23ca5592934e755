package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metadata contract on local disk, plus what is the disk's own. */
class DiskMetadataStoreTest extends MetadataStoreContract {

    @TempDir
    Path parent;

    private Path root() {
        return parent.resolve("root");
    }

    @Override
    protected MetadataStore newStore() throws Exception {
        return new DiskMetadataStore(root());
    }

    @Override
    protected void assertEscapedNothing() throws Exception {
        try (Stream<Path> all = Files.walk(parent)) {
            assertThat(all.filter(p -> p.getFileName().toString().contains("escaped"))).isEmpty();
        }
        assertThat(Path.of("/etc/escaped")).doesNotExist();
    }

    @Test
    void recordsSurviveAReopenAndNoTemporaryFileIsLeft() throws Exception {
        store.put("k/a", new byte[] {1, 2});
        store.put("k/a", new byte[] {3});
        MetadataStore reopened = new DiskMetadataStore(root());
        assertThat(reopened.get("k/a")).hasValue(new byte[] {3});
        try (Stream<Path> spool = Files.list(StorageLayout.spoolDir(root()))) {
            assertThat(spool).isEmpty();
        }
    }
}
