package dev.gantry.app;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One Gantry per data directory. Two processes evicting, spooling and
 * committing in the same directory would corrupt each other's index, so the
 * second refuses to start before it opens anything else there. The lock is
 * the operating system's ({@code fcntl}), so a process killed with SIGKILL
 * leaves none behind; the file holds the owner's process id for the message.
 */
final class DataDirectoryLock implements AutoCloseable {

    static final String FILE = ".gantry.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws StartupException when another process (or this one) holds the directory */
    static DataDirectoryLock acquire(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String owner = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).strip();
            channel.close();
            throw new StartupException("data directory " + dir + " (key 'storage.disk.path') is in use by another Gantry"
                    + (owner.isEmpty() ? "" : " (pid " + owner + ")"),
                    "each replica needs its own storage.disk.path; stop the other process or choose another directory", null);
        }
        channel.truncate(0);
        channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        return new DataDirectoryLock(channel, lock);
    }

    @Override
    public void close() throws IOException {
        if (lock.isValid()) {
            lock.release();
        }
        channel.close();
    }
}
