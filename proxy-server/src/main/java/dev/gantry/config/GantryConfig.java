package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The whole configuration, as read from YAML. Every field has a default that
 * works, so an empty file is a valid configuration; {@link ConfigLoader} is
 * the only way to build one from text and reports the first wrong key by name.
 *
 * @param listen {@code host:port} to serve on
 * @param upstreams registries Gantry mirrors; at most one is the default
 */
public record GantryConfig(
        @JsonProperty("listen") String listen,
        @JsonProperty("upstreams") List<UpstreamConfig> upstreams,
        @JsonProperty("cache") CacheConfig cache,
        @JsonProperty("storage") StorageConfig storage,
        @JsonProperty("prefetch") PrefetchConfig prefetch,
        @JsonProperty("hosted") List<HostedConfig> hosted,
        @JsonProperty("auth") AuthConfig auth,
        @JsonProperty("tls") TlsConfig tls,
        @JsonProperty("hardware") HardwareConfig hardware,
        @JsonProperty("server") ServerConfig server,
        @JsonProperty("fleet") FleetConfig fleet) {

    public GantryConfig {
        listen = listen == null ? "127.0.0.1:5000" : listen;
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
        cache = Objects.requireNonNullElseGet(cache, () -> new CacheConfig(null, null, null, null, null, null));
        storage = Objects.requireNonNullElseGet(storage, () -> new StorageConfig(null, null, null));
        prefetch = Objects.requireNonNullElseGet(prefetch, () -> new PrefetchConfig(null, null, null, null, null, null, null));
        hosted = hosted == null ? List.of() : List.copyOf(hosted);
        auth = Objects.requireNonNullElseGet(auth, () -> new AuthConfig(null, null, null, null, null, null, null, null, null));
        tls = Objects.requireNonNullElseGet(tls, () -> new TlsConfig(false, null, null, null));
        hardware = Objects.requireNonNullElseGet(hardware, () -> new HardwareConfig(null, null, null, null, null, null, null, null));
        server = Objects.requireNonNullElseGet(server, () -> new ServerConfig(null, null, null, null, null, null, null));
        fleet = Objects.requireNonNullElseGet(fleet, FleetConfig::defaults);
    }

    /** The {@code host} part of {@link #listen()}; {@code 0.0.0.0} when only a port is given. */
    public String listenHost() {
        int colon = listen.lastIndexOf(':');
        String host = colon <= 0 ? "0.0.0.0" : listen.substring(0, colon);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The {@code port} part of {@link #listen()}. */
    public int listenPort() {
        return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
    }

    /** A copy listening elsewhere (tests and benchmarks pick free ports). */
    public GantryConfig withListen(String newListen) {
        return ConfigValidator.validate(
                new GantryConfig(newListen, upstreams, cache, storage, prefetch, hosted, auth, tls, hardware, server, fleet), "--listen");
    }

    /** A copy with another storage section. */
    public GantryConfig withStorage(StorageConfig newStorage) {
        return new GantryConfig(listen, upstreams, cache, newStorage, prefetch, hosted, auth, tls, hardware, server, fleet);
    }
}
