package dev.gantry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users from an htpasswd file of bcrypt entries ({@code htpasswd -B}), checked
 * with Bouncy Castle. Other hash schemes (MD5, SHA1, crypt) are refused: they
 * are too cheap to guess. The file is re-read when it changes, so users can
 * be added without a restart.
 *
 * <p>A client that sends its credentials with every request (HTTP Basic, not
 * the token protocol) would pay a bcrypt check each time: about a millisecond
 * at cost 4, about 60 at cost 10. So a password that checked out is
 * remembered for {@link #REMEMBERED_FOR}, as an HMAC (under a key made at
 * start, never stored) of the user, the password and the user's current hash:
 * a changed or removed entry no longer matches, a wrong password is always
 * checked with bcrypt, and no password is kept. Thread-safe.
 */
public final class Htpasswd {

    private static final Logger log = LoggerFactory.getLogger(Htpasswd.class);
    /**
     * A well-formed bcrypt hash to check against when the user does not exist, of the highest cost the file's
     * entries use: a check against it takes as long as one against a real user's, so timing tells nothing.
     */
    private volatile String dummy = dummyOfCost(10);

    static final Duration REMEMBERED_FOR = Duration.ofMinutes(5);

    private final Path file;
    private final Clock clock;
    private final SecretKeySpec rememberKey = new SecretKeySpec(new SecureRandom().generateSeed(32), "HmacSHA256");
    private final Cache<String, Boolean> checkedOut = Caffeine.newBuilder().maximumSize(1024)
            .expireAfterWrite(REMEMBERED_FOR).build();
    private final LongAdder bcryptChecks = new LongAdder();
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
        int cost = read.values().stream().mapToInt(h -> Integer.parseInt(h.substring(4, 6))).max().orElse(10);
        if (!dummy.startsWith("$2y$" + String.format("%02d", cost) + "$")) {
            dummy = dummyOfCost(cost);
        }
        users = Map.copyOf(read);
        loadedVersion = version;
        log.info("{} users from {}", users.size(), file);
    }

    /** Whether {@code password} is the user's and was checked out lately: then {@link #verify} runs no bcrypt. */
    boolean rememberedNow(String user, String password) {
        String hash = users.get(user);
        return hash != null && checkedOut.getIfPresent(remembered(user, password, hash)) != null;
    }

    /** Whether {@code password} is the user's. Constant work whether or not the user exists. */
    public boolean verify(String user, String password) {
        reloadIfChanged();
        String hash = users.get(user);
        String remembered = hash == null ? null : remembered(user, password, hash);
        if (remembered != null && checkedOut.getIfPresent(remembered) != null) {
            return true;
        }
        bcryptChecks.increment();
        boolean ok = OpenBSDBCrypt.checkPassword(hash != null ? hash : dummy, password.toCharArray());
        if (hash != null && ok) {
            checkedOut.put(remembered, Boolean.TRUE);
        }
        return hash != null && ok;
    }

    private static String dummyOfCost(int cost) {
        return OpenBSDBCrypt.generate("2y", "not a password".toCharArray(), new SecureRandom().generateSeed(16),
                Math.max(4, Math.min(cost, 16)));
    }

    /** The hash an unknown user's password is checked against. */
    String dummyHash() {
        return dummy;
    }

    /** The key a checked-out password is remembered by. */
    private String remembered(String user, String password, String hash) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(rememberKey);
            for (String part : new String[] {user, password, hash}) {
                mac.update(part.getBytes(StandardCharsets.UTF_8));
                mac.update((byte) 0);
            }
            return Base64.getEncoder().encodeToString(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK without HmacSHA256, which every Java SE has", e);
        }
    }

    /** How many times a password went through bcrypt (for tests). */
    long bcryptChecks() {
        return bcryptChecks.sum();
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
