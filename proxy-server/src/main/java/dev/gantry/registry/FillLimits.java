package dev.gantry.registry;

import dev.gantry.upstream.Upstream;
import java.time.Duration;
import java.util.Objects;

/**
 * How long a fill may go without progress before it is given up.
 *
 * @param idle longest time without a body byte (received or written to the
 *     spool) once the source answered: the upstream's {@code readTimeout}
 * @param firstAnswer longest wait for the source to answer at all, retries
 *     included (each attempt has its own connect and read timeouts; this is
 *     the backstop above them)
 */
record FillLimits(Duration idle, Duration firstAnswer) {

    /** For a source with no configured timeouts (the shared tier of a hosted repository). */
    static final FillLimits DEFAULT = new FillLimits(Duration.ofSeconds(60), Duration.ofMinutes(5));

    FillLimits {
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(firstAnswer, "firstAnswer");
    }

    /** The limits of a fill from {@code upstream}, by its configured timeouts and retries. */
    static FillLimits of(Upstream upstream) {
        return new FillLimits(upstream.readTimeout(), upstream.answerBound());
    }
}
