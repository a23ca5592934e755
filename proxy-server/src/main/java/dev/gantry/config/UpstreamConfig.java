package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * One upstream registry.
 *
 * @param name what clients call it: the {@code ns} query parameter and the
 *     first path component select it (e.g. {@code docker.io}, {@code ghcr.io})
 * @param url where Gantry reaches it, e.g. {@code https://registry-1.docker.io}
 * @param isDefault serves {@code /v2/<repo>} when no registry is named
 * @param username optional; {@code ${ENV}} references are expanded at load time
 * @param password optional; never logged
 * @param library whether single-component names get {@code library/} in front
 *     (Docker Hub's official images); defaults to true for {@code docker.io}
 * @param connectTimeout TCP and TLS connect timeout
 * @param readTimeout longest silence on an open upstream connection
 * @param retries extra attempts for idempotent requests that failed before any byte arrived
 * @param maxConnections pooled connections per upstream host
 * @param isPrivate whether content fetched with these credentials may be private: it is then never
 *     served to anonymous callers. Defaults to true when credentials are set; set it to false when
 *     the credentials only raise a rate limit (a Docker Hub account for public images)
 */
public record UpstreamConfig(
        @JsonProperty("name") String name,
        @JsonProperty("url") String url,
        @JsonProperty("default") Boolean isDefault,
        @JsonProperty("username") String username,
        @JsonProperty("password") String password,
        @JsonProperty("library") Boolean library,
        @JsonProperty("connectTimeout") Duration connectTimeout,
        @JsonProperty("readTimeout") Duration readTimeout,
        @JsonProperty("retries") Integer retries,
        @JsonProperty("maxConnections") Integer maxConnections,
        @JsonProperty("private") Boolean isPrivate) {

    public UpstreamConfig {
        isDefault = isDefault != null && isDefault;
        library = library != null ? library : "docker.io".equals(name);
        connectTimeout = connectTimeout != null ? connectTimeout : Duration.ofSeconds(10);
        readTimeout = readTimeout != null ? readTimeout : Duration.ofSeconds(60);
        retries = retries != null ? retries : 2;
        maxConnections = maxConnections != null ? maxConnections : 32;
        isPrivate = isPrivate != null ? isPrivate : (username != null && !username.isEmpty());
    }

    public UpstreamConfig(String name, String url, boolean isDefault) {
        this(name, url, isDefault, null, null, null, null, null, null, null, null);
    }

    public boolean hasCredentials() {
        return username != null && !username.isEmpty();
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "UpstreamConfig[name=" + name + ", url=" + url + ", default=" + isDefault
                + ", username=" + (hasCredentials() ? username : "(anonymous)")
                + ", password=" + (password == null ? "(none)" : "(set)") + ", private=" + isPrivate + "]";
    }
}
