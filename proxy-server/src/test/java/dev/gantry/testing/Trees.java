package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The paths under a directory a running server may be changing. {@code Files.walk} reads each
 * entry's attributes after listing its directory, so a file the server deletes in between (a
 * spool file cleaned up, a temporary renamed) fails the walk with {@code NoSuchFileException}:
 * here such a walk is taken again, since it was taken mid-change.
 */
public final class Trees {

    private Trees() {
    }

    /** Every path under {@code root} (itself included), or none when it does not exist. */
    public static List<Path> paths(Path root) throws IOException {
        while (true) {
            if (!Files.exists(root)) {
                return List.of();
            }
            try (Stream<Path> s = Files.walk(root)) {
                return s.toList();
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException)) {
                    throw e;
                }
            } catch (NoSuchFileException e) {
                // the root itself went: look again
            }
        }
    }

    /** The regular files under {@code root}; a file deleted since the walk is left out. */
    public static List<Path> files(Path root) throws IOException {
        return paths(root).stream().filter(Files::isRegularFile).toList();
    }
}
