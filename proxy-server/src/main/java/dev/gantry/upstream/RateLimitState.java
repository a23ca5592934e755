package dev.gantry.upstream;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What an upstream last said about its rate limit: Docker Hub's
 * {@code ratelimit-limit} and {@code ratelimit-remaining} (e.g.
 * {@code 100;w=21600}), and the {@code Retry-After} of a 429 or 503.
 * Thread-safe: one immutable snapshot replaced atomically.
 */
public final class RateLimitState {

    /** One reading. {@code limit}/{@code remaining} are -1 when never reported. */
    public record Snapshot(long limit, long remaining, Duration window, Instant retryAfterUntil, Instant updatedAt) {
    }

    private final Clock clock;
    private volatile Snapshot snapshot = new Snapshot(-1, -1, null, null, null);
    private static final CompletableFuture<Void> TOLD = CompletableFuture.completedFuture(null);
    /** The longest {@code Retry-After} taken as said (Docker Hub's windows are 6 h). */
    static final Duration LONGEST_WAIT = Duration.ofDays(1);
    /** The longest rate-limit window ({@code w=}) taken as said. */
    static final Duration LONGEST_WINDOW = Duration.ofDays(30);

    private volatile Runnable onLearned = () -> { };
    private volatile Supplier<CompletableFuture<Void>> onWait = () -> TOLD;

    public RateLimitState(Clock clock) {
        this.clock = clock;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /**
     * Runs {@code listener} after each change that an upstream response of
     * this replica caused (not after {@link #adopt}), on the thread that
     * recorded it: it must be quick. Replaces any earlier listener.
     */
    public void onLearned(Runnable listener) {
        this.onLearned = listener == null ? () -> { } : listener;
    }

    /**
     * Calls {@code listener} when a response of this replica starts or
     * lengthens a wait ({@code Retry-After}), on the thread that recorded it
     * (it must not block); {@link #record} returns the future it gives, which
     * completes once whoever must hear of the wait has (the fleet's live
     * members). Replaces any earlier listener; null: none.
     */
    public void onWait(Supplier<CompletableFuture<Void>> listener) {
        this.onWait = listener == null ? () -> TOLD : listener;
    }

    /**
     * Merges a reading another replica learned: its limit, remaining and
     * window replace ours when it is newer; a wait it was asked for holds
     * here too (the later of the two ends wins), so one 429 stops the fleet.
     */
    public synchronized void adopt(Snapshot other) {
        if (other == null || other.updatedAt == null) {
            return;
        }
        Snapshot s = snapshot;
        boolean newer = s.updatedAt == null || other.updatedAt.isAfter(s.updatedAt);
        Instant until = later(s.retryAfterUntil, other.retryAfterUntil);
        if (!newer && Objects.equals(until, s.retryAfterUntil)) {
            return;
        }
        snapshot = newer
                ? new Snapshot(other.limit, other.remaining, other.window, until, other.updatedAt)
                : new Snapshot(s.limit, s.remaining, s.window, until, s.updatedAt);
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    /** Whether the upstream asked us to wait and that time has not passed. */
    public boolean backingOff() {
        Instant until = snapshot.retryAfterUntil;
        return until != null && clock.instant().isBefore(until);
    }

    /** Time left before the upstream wants to hear from us again (zero if none). */
    public Duration retryAfter() {
        Instant until = snapshot.retryAfterUntil;
        if (until == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(clock.instant(), until);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * Records the rate-limit headers of a response with the given status.
     * Completes at once, or, when the response started a wait, once the
     * {@link #onWait} listener says the news went out (it never fails).
     */
    public CompletableFuture<Void> record(int status, HttpHeaders headers) {
        Instant waitBefore = snapshot.retryAfterUntil;
        if (!update(status, headers)) {
            return TOLD;
        }
        onLearned.run();
        return Objects.equals(waitBefore, snapshot.retryAfterUntil) ? TOLD : onWait.get();
    }

    private synchronized boolean update(int status, HttpHeaders headers) {
        Snapshot s = snapshot;
        long limit = s.limit;
        long remaining = s.remaining;
        Duration window = s.window;
        boolean changed = false;
        String l = headers.get("ratelimit-limit");
        if (l != null) {
            limit = leadingNumber(l, limit);
            window = windowOf(l, window);
            changed = true;
        }
        String r = headers.get("ratelimit-remaining");
        if (r != null) {
            remaining = leadingNumber(r, remaining);
            changed = true;
        }
        Instant until = s.retryAfterUntil;
        if (status == 429 || status == 503) {
            Duration wait = parseRetryAfter(headers.get("Retry-After"), clock.instant());
            if (wait == null && status == 429) {
                wait = Duration.ofSeconds(60);
            }
            if (wait != null) {
                until = later(until, clock.instant().plus(wait));
                changed = true;
            }
        }
        if (changed) {
            snapshot = new Snapshot(limit, remaining, window, until, clock.instant());
        }
        return changed;
    }

    /**
     * Parses {@code Retry-After}: delta seconds or an HTTP date; null when
     * absent or unreadable. At most {@link #LONGEST_WAIT}: a wait beyond it
     * is an upstream's mistake, and one of 10^16 s would overflow every
     * instant computed from it (the fleet's records, the client's answer).
     */
    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        try {
            return atMost(Duration.ofSeconds(Math.max(0, Long.parseLong(v))), LONGEST_WAIT);
        } catch (NumberFormatException ignored) {
            // Not seconds (or more than a long holds): maybe a date.
        }
        if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
            return LONGEST_WAIT;
        }
        try {
            Duration d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return d.isNegative() ? Duration.ZERO : atMost(d, LONGEST_WAIT);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Duration atMost(Duration d, Duration max) {
        return d.compareTo(max) > 0 ? max : d;
    }

    private static long leadingNumber(String header, long fallback) {
        int end = 0;
        String v = header.trim();
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        try {
            return end == 0 ? fallback : Long.parseLong(v.substring(0, end));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Duration windowOf(String header, Duration fallback) {
        int w = header.indexOf("w=");
        if (w < 0) {
            return fallback;
        }
        long seconds = leadingNumber(header.substring(w + 2), -1);
        return seconds < 0 ? fallback : atMost(Duration.ofSeconds(seconds), LONGEST_WINDOW);
    }
}
