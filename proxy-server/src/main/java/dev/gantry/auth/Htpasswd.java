package dev.gantry.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users from an htpasswd file of bcrypt entries ({@code htpasswd -B}), checked
 * with Bouncy Castle. Other hash schemes (MD5, SHA1, crypt) are refused: they
 * are too cheap to guess. The file is re-read when it changes, so users can
 * be added without a restart. Thread-safe.
 */
public final class Htpasswd {

    private static final Logger log = LoggerFactory.getLogger(Htpasswd.class);
    /** A well-formed bcrypt hash to check against when the user does not exist, so timing tells nothing. */
    private static final String DUMMY = OpenBSDBCrypt.generate("2y", "not a password".toCharArray(),
            new SecureRandom().generateSeed(16), 10);

    private final Path file;
    private final Clock clock;
    private volatile Map<String, String> users = Map.of();
    private volatile FileTime loadedVersion;
    private volatile long checkedAt;

    public Htpasswd(Path file, Clock clock) throws IOException {
        this.file = file;
        this.clock = clock;
        load();
    }

    private synchronized void load() throws IOException {
        FileTime version = Files.getLastModifiedTime(file);
        Map<String, String> read = new HashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                log.warn("{}:{}: not user:hash, ignored", file, lineNo);
                continue;
            }
            String hash = l.substring(colon + 1);
            if (!hash.matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
                log.warn("{}:{}: user {} has no bcrypt hash (use htpasswd -B); ignored", file, lineNo, l.substring(0, colon));
                continue;
            }
            read.put(l.substring(0, colon), hash);
        }
        users = Map.copyOf(read);
        loadedVersion = version;
        log.info("{} users from {}", users.size(), file);
    }

    /** Whether {@code password} is the user's. Constant work whether or not the user exists. */
    public boolean verify(String user, String password) {
        reloadIfChanged();
        String hash = users.get(user);
        boolean ok = OpenBSDBCrypt.checkPassword(hash != null ? hash : DUMMY, password.toCharArray());
        return hash != null && ok;
    }

    public int size() {
        return users.size();
    }

    private void reloadIfChanged() {
        long now = clock.millis();
        if (now - checkedAt < 5_000) {
            return;
        }
        checkedAt = now;
        try {
            if (!Files.getLastModifiedTime(file).equals(loadedVersion)) {
                load();
            }
        } catch (IOException e) {
            log.warn("cannot re-read {}: {}; keeping the users already loaded", file, e.toString());
        }
    }
}
