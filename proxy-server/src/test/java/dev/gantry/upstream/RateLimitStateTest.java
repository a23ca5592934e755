package dev.gantry.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.MutableClock;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RateLimitStateTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final RateLimitState state = new RateLimitState(clock);

    @Test
    void recordsDockerHubsHeaders() {
        state.record(200, new DefaultHttpHeaders().set("ratelimit-limit", "100;w=21600").set("ratelimit-remaining", "76;w=21600"));
        RateLimitState.Snapshot s = state.snapshot();
        assertThat(s.limit()).isEqualTo(100);
        assertThat(s.remaining()).isEqualTo(76);
        assertThat(s.window()).isEqualTo(Duration.ofHours(6));
        assertThat(state.backingOff()).isFalse();
    }

    @Test
    void backsOffForRetryAfterSecondsThenStops() {
        state.record(429, new DefaultHttpHeaders().set("Retry-After", "30"));
        assertThat(state.backingOff()).isTrue();
        assertThat(state.retryAfter()).isEqualTo(Duration.ofSeconds(30));
        clock.advance(Duration.ofSeconds(31));
        assertThat(state.backingOff()).isFalse();
    }

    @Test
    void understandsRetryAfterAsAnHttpDate() {
        state.record(503, new DefaultHttpHeaders().set("Retry-After", "Thu, 01 Jan 2026 00:02:00 GMT"));
        assertThat(state.retryAfter()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void a429WithoutRetryAfterStillBacksOffAMinute() {
        state.record(429, new DefaultHttpHeaders());
        assertThat(state.retryAfter()).isEqualTo(Duration.ofSeconds(60));
    }

    /**
     * An upstream's absurd wait is held to a day: 10^16 s overflowed every instant computed from it (the
     * fleet's member record could no longer be written, the client's answer failed with a 500).
     */
    @Test
    void aRetryAfterBeyondADayIsHeldToADayAndStillFitsAnEpochMillisecond() {
        for (String absurd : new String[] {"10000000000000000", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"}) {
            RateLimitState fresh = new RateLimitState(clock);
            fresh.record(429, new DefaultHttpHeaders().set("Retry-After", absurd)
                    .set("ratelimit-limit", "100;w=9999999999999999"));
            assertThat(fresh.retryAfter()).as(absurd).isEqualTo(Duration.ofDays(1));
            assertThat(fresh.snapshot().retryAfterUntil().toEpochMilli()).isEqualTo(clock.millis() + Duration.ofDays(1).toMillis());
            assertThat(fresh.snapshot().window()).isEqualTo(Duration.ofDays(30));
        }
    }

    @Test
    void ignoresGarbage() {
        state.record(429, new DefaultHttpHeaders().set("Retry-After", "soon").set("ratelimit-remaining", "lots"));
        assertThat(state.snapshot().remaining()).isEqualTo(-1);
        assertThat(state.retryAfter()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aNewerReadingFromAnotherReplicaReplacesRemainingAndAnOlderOneDoesNot() {
        state.record(200, new DefaultHttpHeaders().set("ratelimit-limit", "100;w=21600").set("ratelimit-remaining", "76"));
        Instant mine = state.snapshot().updatedAt();
        state.adopt(new RateLimitState.Snapshot(100, 80, Duration.ofHours(6), null, mine.minusSeconds(1)));
        assertThat(state.snapshot().remaining()).as("older reading ignored").isEqualTo(76);
        state.adopt(new RateLimitState.Snapshot(100, 70, Duration.ofHours(6), null, mine.plusMillis(1)));
        assertThat(state.snapshot().remaining()).isEqualTo(70);
    }

    @Test
    void aRetryAfterAnotherReplicaHeardHoldsHereEvenWhenOurReadingIsNewer() {
        Instant other = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        state.record(200, new DefaultHttpHeaders().set("ratelimit-remaining", "5"));
        state.adopt(new RateLimitState.Snapshot(100, 0, null, other.plusSeconds(30), other));
        assertThat(state.backingOff()).isTrue();
        assertThat(state.snapshot().remaining()).as("our newer reading kept").isEqualTo(5);
        assertThat(state.retryAfter()).isEqualTo(Duration.ofSeconds(29));
    }

    @Test
    void onlyWhatThisReplicaLearnsIsAnnounced() {
        int[] heard = new int[1];
        state.onLearned(() -> heard[0]++);
        state.record(200, new DefaultHttpHeaders().set("ratelimit-remaining", "5"));
        state.record(200, new DefaultHttpHeaders());
        state.adopt(new RateLimitState.Snapshot(100, 4, null, null, clock.instant().plusSeconds(1)));
        assertThat(heard[0]).isEqualTo(1);
    }

    @Test
    void aWaitIsRecordedOnlyOnceItsListenerSaysTheNewsWentOut() {
        CompletableFuture<Void> told = new CompletableFuture<>();
        int[] asked = new int[1];
        state.onWait(() -> {
            asked[0]++;
            return told;
        });
        assertThat(state.record(200, new DefaultHttpHeaders().set("ratelimit-remaining", "5"))).as("no wait").isDone();
        CompletableFuture<Void> recorded = state.record(429, new DefaultHttpHeaders().set("Retry-After", "30"));
        assertThat(recorded).as("a new wait, not yet told").isNotDone();
        told.complete(null);
        assertThat(recorded).isDone();
        assertThat(state.record(429, new DefaultHttpHeaders().set("Retry-After", "10"))).as("a wait that ends sooner changes nothing")
                .isDone();
        assertThat(asked[0]).isEqualTo(1);
    }
}
