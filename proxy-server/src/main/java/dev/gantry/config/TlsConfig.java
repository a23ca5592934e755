package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * TLS for the front end: {@code tls: auto} generates a CA and a server
 * certificate on first start (kept under the data directory), or give
 * {@code certFile} and {@code keyFile} (PEM). Absent means plain HTTP.
 *
 * @param hosts extra names and addresses for the generated certificate
 *     (localhost, 127.0.0.1, the listen host and this machine's name are always in)
 */
public record TlsConfig(
        @JsonProperty("auto") Boolean auto,
        @JsonProperty("certFile") String certFile,
        @JsonProperty("keyFile") String keyFile,
        @JsonProperty("hosts") List<String> hosts) {

    public TlsConfig {
        auto = auto != null && auto;
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
    }

    /** {@code tls: auto} (or {@code off}) written as a plain word. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TlsConfig of(String word) {
        return switch (word) {
            case "auto" -> new TlsConfig(true, null, null, null);
            case "off", "" -> new TlsConfig(false, null, null, null);
            default -> throw new IllegalArgumentException("expected 'auto', 'off', or certFile and keyFile, got '" + word + "'");
        };
    }

    /** {@code tls: off} read as YAML 1.1 reads a bare {@code off}: the boolean false. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TlsConfig of(boolean on) {
        if (on) {
            throw new IllegalArgumentException("expected 'auto', 'off', or certFile and keyFile, got 'true'");
        }
        return new TlsConfig(false, null, null, null);
    }

    public boolean enabled() {
        return auto || certFile != null;
    }
}
