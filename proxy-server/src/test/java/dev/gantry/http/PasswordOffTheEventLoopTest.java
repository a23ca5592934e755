package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A password is checked (a bcrypt: a second at this file's cost) on a thread
 * of its own, never on an event loop, which would stall every connection it
 * serves meanwhile; the outcome is what it always was.
 */
class PasswordOffTheEventLoopTest {

    @TempDir
    Path tmp;

    private GantryServer gantry;

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The thread running a bcrypt now, if any. */
    private static Optional<Thread> checking() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().contains("OpenBSDBCrypt")))
                .map(Map.Entry::getKey).findFirst();
    }

    @Test
    void aPasswordIsCheckedOffTheEventLoopsAndStillDecides() throws Exception {
        String hash = OpenBSDBCrypt.generate("2y", "right".toCharArray(), new SecureRandom().generateSeed(16), 14);
        Path htpasswd = tmp.resolve("htpasswd");
        Files.writeString(htpasswd, "slow:" + hash + "\n");
        gantry = GantryServer.start("auth:\n  htpasswd: " + htpasswd + "\n", tmp.resolve("gantry"), MutableClock.startingNow());
        Http http = new Http(gantry.url());

        CompletableFuture<Http.Response> wrong = CompletableFuture.supplyAsync(
                () -> http.get("/v2/", "Authorization", basic("slow", "wrong")));
        Thread checker = Awaits.until(() -> checking().orElse(null), t -> t != null, Duration.ofSeconds(30));
        assertThat(checker.getName()).as("the thread checking the password").startsWith("gantry-passwords-")
                .doesNotStartWith("gantry-io");

        assertThat(wrong.get().status()).isEqualTo(401);
        assertThat(http.get("/v2/", "Authorization", basic("slow", "right")).status()).isEqualTo(200);
    }
}
