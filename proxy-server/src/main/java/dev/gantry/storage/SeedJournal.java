package dev.gantry.storage;

import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a data directory remembers of copying its hosted records into a
 * bucket, so that a record is offered to the bucket at most once: once it is
 * there, a later absence means another replica deleted it, and a stale local
 * copy must not bring it back.
 *
 * <p>{@link StorageLayout#seedDone} lists the buckets a seed completed for,
 * one a line: a directory seeds each bucket once. {@link StorageLayout#seedJournal}
 * holds, under the bucket it is for, the records a seed not yet complete
 * has settled (written, found already there, or overtaken by a write of this
 * replica), so the next attempt skips them. Lines are flushed as they are
 * settled but not forced to the device: a process that dies keeps them, a
 * machine that loses power may offer a few records again.
 *
 * <p>Thread-safe.
 */
public final class SeedJournal {

    private final Path done;
    private final Path journal;
    private final String bucket;
    private final boolean complete;
    private final Set<String> settled;
    private Writer out;

    private SeedJournal(Path done, Path journal, String bucket, boolean complete, Set<String> settled) {
        this.done = done;
        this.journal = journal;
        this.bucket = bucket;
        this.complete = complete;
        this.settled = settled;
    }

    /**
     * Reads what the data directory under {@code root} recorded for {@code bucket}.
     *
     * @param bucket names the bucket (endpoint, bucket, prefix) on one line
     */
    public static SeedJournal open(Path root, String bucket) throws IOException {
        if (bucket.indexOf('\n') >= 0 || bucket.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a bucket's name for the seed journal is one line: " + bucket);
        }
        Path done = StorageLayout.seedDone(root);
        Path journal = StorageLayout.seedJournal(root);
        boolean complete = lines(done).contains(bucket);
        Set<String> settled = new HashSet<>();
        List<String> journalLines = lines(journal);
        // A journal of another bucket says nothing about this one.
        if (!complete && !journalLines.isEmpty() && journalLines.get(0).equals(bucket)) {
            settled.addAll(journalLines.subList(1, journalLines.size()));
        }
        return new SeedJournal(done, journal, bucket, complete, settled);
    }

    private static List<String> lines(Path file) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /** Whether a seed of this bucket completed in this directory: nothing is to be offered again. */
    public boolean done() {
        return complete;
    }

    /** Whether an earlier attempt settled {@code key}. */
    public synchronized boolean settled(String key) {
        return settled.contains(key);
    }

    /** Records that {@code key} is settled: never offered to this bucket again. */
    public synchronized void settle(String key) throws IOException {
        if (!settled.add(key)) {
            return;
        }
        if (out == null) {
            Files.createDirectories(journal.getParent());
            boolean fresh = !Files.exists(journal) || !lines(journal).stream().findFirst().orElse("").equals(bucket);
            out = Files.newBufferedWriter(journal, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    fresh ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
            if (fresh) {
                out.write(bucket + "\n");
            }
        }
        out.write(key + "\n");
        out.flush();
    }

    /** Records the seed of this bucket complete (forced to the device), and drops the journal. */
    public synchronized void finish() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
        List<String> buckets = new ArrayList<>(lines(done));
        if (!buckets.contains(bucket)) {
            buckets.add(bucket);
        }
        Files.createDirectories(done.getParent());
        Path part = done.resolveSibling("done.part");
        Files.write(part, buckets, StandardCharsets.UTF_8);
        try (FileChannel c = FileChannel.open(part, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(part, done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(journal);
    }

    /** Closes the journal without completing the seed (it goes on at the next start). */
    public synchronized void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }

    @Override
    public String toString() {
        return bucket;
    }
}
