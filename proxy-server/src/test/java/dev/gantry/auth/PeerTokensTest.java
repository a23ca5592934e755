package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerTokensTest {

    private static final byte[] KEY = "fleet key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER = "another fleet's key".getBytes(StandardCharsets.UTF_8);

    @Test
    void aReplicaWithTheSameKeyAcceptsTheCredential() {
        MutableClock clock = MutableClock.startingNow();
        assertThat(new PeerTokens(List.of(KEY), clock).verify(new PeerTokens(List.of(KEY), clock).authorization())).isTrue();
    }

    @Test
    void anotherKeyAForgedMacOrNoneIsRefused() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens fleet = new PeerTokens(List.of(KEY), clock);
        String theirs = new PeerTokens(List.of(OTHER), clock).authorization();
        assertThat(fleet.verify(theirs)).isFalse();
        String ours = fleet.authorization();
        assertThat(fleet.verify(ours.substring(0, ours.length() - 2) + "AA")).isFalse();
        assertThat(fleet.verify(null)).isFalse();
        assertThat(fleet.verify("Bearer " + ours.substring(PeerTokens.SCHEME.length() + 1))).isFalse();
        assertThat(fleet.verify(PeerTokens.SCHEME + " garbage")).isFalse();
    }

    @Test
    void aCredentialExpiresAfterItsLifetime() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens fleet = new PeerTokens(List.of(KEY), clock);
        String old = fleet.authorization();
        clock.advance(PeerTokens.LIFETIME.plus(Duration.ofSeconds(1)));
        assertThat(fleet.verify(old)).isFalse();
    }

    @Test
    void duringARotationEitherKeyIsAccepted() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens rotated = new PeerTokens(List.of(OTHER, KEY), clock);
        assertThat(rotated.verify(new PeerTokens(List.of(KEY), clock).authorization())).isTrue();
        assertThat(new PeerTokens(List.of(KEY, OTHER), clock).verify(rotated.authorization())).isTrue();
    }
}
