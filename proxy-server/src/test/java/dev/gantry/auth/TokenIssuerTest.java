package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIssuerTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.startingNow();

    @Test
    void aTokenVerifiesWithItsGrantsUntilItExpires() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        String token = issuer.issue("alice", List.of(new Access("repository", "local/app", Set.of("pull", "push"))));
        TokenIssuer.Verified v = issuer.verify(token).orElseThrow();
        assertThat(v.subject()).isEqualTo("alice");
        assertThat(v.access()).singleElement().satisfies(a -> {
            assertThat(a.name()).isEqualTo("local/app");
            assertThat(a.allows("push")).isTrue();
            assertThat(a.allows("delete")).isFalse();
        });
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertThat(issuer.verify(token)).isEmpty();
    }

    @Test
    void theKeyIsKeptAcrossRestartsAndOwnerReadableOnly() throws Exception {
        Path key = tmp.resolve("auth/k.pem");
        String token = TokenIssuer.open(key, "gantry", Duration.ofMinutes(5), clock).issue("bob", List.of());
        assertThat(Files.getPosixFilePermissions(key)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        TokenIssuer again = TokenIssuer.open(key, "gantry", Duration.ofMinutes(5), clock);
        assertThat(again.verify(token)).isPresent();
        TokenIssuer other = TokenIssuer.open(tmp.resolve("other.pem"), "gantry", Duration.ofMinutes(5), clock);
        assertThat(other.verify(token)).as("another key's token").isEmpty();
    }

    @Test
    void aTokenForAnotherServiceOrWithAChangedSignatureIsRefused() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        TokenIssuer elsewhere = TokenIssuer.open(tmp.resolve("k.pem"), "other-service", Duration.ofMinutes(5), clock);
        String token = elsewhere.issue("alice", List.of());
        assertThat(issuer.verify(token)).isEmpty();
        String mine = issuer.issue("alice", List.of());
        char last = mine.charAt(mine.length() - 2);
        String flipped = mine.substring(0, mine.length() - 2) + (last == 'A' ? 'B' : 'A') + mine.charAt(mine.length() - 1);
        assertThat(issuer.verify(flipped)).isEmpty();
        assertThat(issuer.verify("a.b")).isEmpty();
    }
}
