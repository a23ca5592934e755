package dev.gantry.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The outcome of a scan. {@code complete}: every entry was examined;
 * {@code partial}: the scan finished but skipped some content, for recorded
 * reasons; {@code failed}: it stopped early, and its findings cover only
 * what was read before the failure.
 */
public enum ScanStatus {
    COMPLETE("complete"),
    PARTIAL("partial"),
    FAILED("failed");

    private final String json;

    ScanStatus(String json) {
        this.json = json;
    }

    /** The worse of two statuses: failed over partial over complete. */
    public ScanStatus worst(ScanStatus other) {
        return other.ordinal() > ordinal() ? other : this;
    }

    @JsonValue
    public String json() {
        return json;
    }

    @JsonCreator
    public static ScanStatus of(String text) {
        for (ScanStatus status : values()) {
            if (status.json.equals(text)) {
                return status;
            }
        }
        throw new IllegalArgumentException("status must be complete, partial or failed, not '" + text + "'");
    }
}
