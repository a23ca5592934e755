package dev.gantry.hardware;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Whether a host can run an image: {@code runs}, {@code runs-degraded} (a
 * feature the image can use is missing) or {@code will-fail} (one it needs is),
 * with each reason and what to do about it, and the {@code docker run} flags
 * the image needs on this host.
 */
public record Verdict(
        @JsonProperty("verdict") String verdict,
        @JsonProperty("image") String image,
        @JsonProperty("platform") String platform,
        @JsonProperty("reasons") List<Reason> reasons,
        @JsonProperty("dockerRunFlags") List<String> dockerRunFlags) {

    public static final String RUNS = "runs";
    public static final String DEGRADED = "runs-degraded";
    public static final String WILL_FAIL = "will-fail";

    /** One finding: {@code severity} is {@code fail}, {@code degraded} or {@code info}. */
    public record Reason(@JsonProperty("severity") String severity, @JsonProperty("message") String message,
                         @JsonProperty("advice") String advice) {
    }

    /** Exit status of {@code gantry check}: 0, 1, 2. */
    public int exitStatus() {
        return switch (verdict) {
            case RUNS -> 0;
            case DEGRADED -> 1;
            default -> 2;
        };
    }
}
