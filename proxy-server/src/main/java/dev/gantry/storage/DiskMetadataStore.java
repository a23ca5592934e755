package dev.gantry.storage;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link MetadataStore} as files under {@code <root>/meta}, written via temp file and rename. */
public final class DiskMetadataStore implements MetadataStore {

    private final Path meta;
    private final Path tmp;

    public DiskMetadataStore(Path diskRoot) throws IOException {
        Path root = diskRoot.toAbsolutePath().normalize();
        this.meta = StorageLayout.metaDir(root);
        this.tmp = StorageLayout.spoolDir(root);
        Files.createDirectories(meta);
        Files.createDirectories(tmp);
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(resolve(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(resolve(key));
    }

    @Override
    public void put(String key, byte[] value) throws IOException {
        Path target = resolve(key);
        Files.createDirectories(target.getParent());
        Path part = tmp.resolve(UUID.randomUUID() + ".meta");
        try {
            Files.write(part, value);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        return Files.deleteIfExists(resolve(key));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        Path dir = resolve(prefix);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (Files.isRegularFile(p)) {
                    names.add(p.getFileName().toString());
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        Collections.sort(names);
        return names;
    }

    @Override
    public List<String> listRecursive(String prefix) throws IOException {
        Path dir = resolve(prefix);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace(File.separatorChar, '/'))
                    .sorted().toList();
        }
    }

    /** The etag is a SHA-256 of the file's bytes, so a rewrite of equal bytes keeps it, as on S3. */
    @Override
    public List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
        List<MetadataStoreEntry> entries = new ArrayList<>();
        for (String name : list(prefix)) {
            Path p = resolve(prefix + name);
            try {
                // The time first: a rewrite in between then shows a new etag with an older time, never the reverse.
                Instant modified = Files.getLastModifiedTime(p).toInstant();
                entries.add(new MetadataStoreEntry(name, HexFormat.of().formatHex(sha256().digest(Files.readAllBytes(p))), modified));
            } catch (NoSuchFileException e) {
                // deleted since it was listed
            }
        }
        return entries;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Resolves a key, refusing any that would leave the metadata directory. */
    private Path resolve(String key) {
        Path p = meta.resolve(key).normalize();
        if (!p.startsWith(meta) || p.equals(meta) || key.contains("\0")) {
            throw new IllegalArgumentException("metadata key outside the store: " + key);
        }
        return p;
    }
}
