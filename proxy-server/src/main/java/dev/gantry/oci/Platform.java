package dev.gantry.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** The platform object of an image index entry: {@code os/architecture[/variant]}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Platform(
        @JsonProperty("architecture") String architecture,
        @JsonProperty("os") String os,
        @JsonProperty("variant") String variant) {

    /**
     * Parses {@code os/arch[/variant]}.
     *
     * @throws IllegalArgumentException when the text has not two or three parts
     */
    public static Platform parse(String text) {
        String[] parts = text.toLowerCase(Locale.ROOT).split("/");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("platform must be os/arch[/variant], got '" + text + "'");
        }
        return new Platform(parts[1], parts[0], parts.length == 3 ? parts[2] : null);
    }

    /**
     * Whether this platform (from an index) satisfies {@code wanted}. A wanted
     * platform without a variant matches any variant; arm64's default variant
     * {@code v8} matches an entry without one.
     */
    public boolean satisfies(Platform wanted) {
        if (!wanted.os.equals(os) || !wanted.architecture.equals(architecture)) {
            return false;
        }
        if (wanted.variant == null) {
            return true;
        }
        String mine = variant != null ? variant : ("arm64".equals(architecture) ? "v8" : null);
        return wanted.variant.equals(mine);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant != null ? "/" + variant : "");
    }
}
