package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerTokensTest {

    private static final byte[] KEY = "fleet key".getBytes(StandardCharsets.UTF_8);
    private static final String GET = "GET";
    private static final String TARGET = "/v2/_gantry/fleet/library/alpine/blobs/sha256:aa?ns=docker.io";
    private static final byte[] OTHER = "another fleet's key".getBytes(StandardCharsets.UTF_8);

    @Test
    void aReplicaWithTheSameKeyAcceptsTheCredential() {
        MutableClock clock = MutableClock.startingNow();
        String credential = new PeerTokens(List.of(KEY), clock).authorization(GET, TARGET);
        assertThat(new PeerTokens(List.of(KEY), clock).verify(credential, GET, TARGET)).isTrue();
    }

    @Test
    void anotherKeyAForgedMacOrNoneIsRefused() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens fleet = new PeerTokens(List.of(KEY), clock);
        String theirs = new PeerTokens(List.of(OTHER), clock).authorization(GET, TARGET);
        assertThat(fleet.verify(theirs, GET, TARGET)).isFalse();
        String ours = fleet.authorization(GET, TARGET);
        assertThat(fleet.verify(ours.substring(0, ours.length() - 2) + "AA", GET, TARGET)).isFalse();
        assertThat(fleet.verify(null, GET, TARGET)).isFalse();
        assertThat(fleet.verify("Bearer " + ours.substring(PeerTokens.SCHEME.length() + 1), GET, TARGET)).isFalse();
        assertThat(fleet.verify(PeerTokens.SCHEME + " garbage", GET, TARGET)).isFalse();
    }

    @Test
    void aCredentialExpiresAfterItsLifetime() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens fleet = new PeerTokens(List.of(KEY), clock);
        String old = fleet.authorization(GET, TARGET);
        clock.advance(PeerTokens.LIFETIME.plus(Duration.ofSeconds(1)));
        assertThat(fleet.verify(old, GET, TARGET)).isFalse();
    }

    @Test
    void duringARotationEitherKeyIsAccepted() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens rotated = new PeerTokens(List.of(OTHER, KEY), clock);
        assertThat(rotated.verify(new PeerTokens(List.of(KEY), clock).authorization(GET, TARGET), GET, TARGET)).isTrue();
        assertThat(new PeerTokens(List.of(KEY, OTHER), clock).verify(rotated.authorization(GET, TARGET), GET, TARGET)).isTrue();
    }

    /** A credential seen on the wire reads nothing but what it was made for: another path, query or method is refused. */
    @Test
    void aCredentialIsGoodForItsOwnRequestOnly() {
        MutableClock clock = MutableClock.startingNow();
        PeerTokens fleet = new PeerTokens(List.of(KEY), clock);
        String seen = fleet.authorization(GET, TARGET);
        assertThat(fleet.verify(seen, GET, TARGET)).isTrue();
        assertThat(fleet.verify(seen, "GET", "/v2/_gantry/fleet/team/secret/blobs/sha256:bb?ns=docker.io")).isFalse();
        assertThat(fleet.verify(seen, "GET", "/v2/_gantry/fleet/library/alpine/blobs/sha256:aa?ns=private")).isFalse();
        assertThat(fleet.verify(seen, "POST", TARGET)).isFalse();
    }
}
