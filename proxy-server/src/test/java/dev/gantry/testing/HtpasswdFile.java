package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/** Writes an htpasswd file of bcrypt entries, as {@code htpasswd -B} does. */
public final class HtpasswdFile {

    private HtpasswdFile() {
    }

    public static Path write(Path file, Map<String, String> users) {
        StringBuilder sb = new StringBuilder();
        SecureRandom random = new SecureRandom();
        users.forEach((user, password) -> {
            byte[] salt = new byte[16];
            random.nextBytes(salt);
            sb.append(user).append(':').append(OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 4)).append('\n');
        });
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
