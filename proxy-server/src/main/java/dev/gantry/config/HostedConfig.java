package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A namespace whose repositories are stored in Gantry and accept pushes
 * (everything else is mirrored read-only).
 *
 * @param prefix repository names starting with this (e.g. {@code local/}) are hosted
 * @param allowTagDelete whether {@code DELETE /v2/<name>/manifests/<tag>} removes a tag
 *     (otherwise it is {@code UNSUPPORTED} and only digests can be deleted)
 */
public record HostedConfig(@JsonProperty("prefix") String prefix, @JsonProperty("allowTagDelete") Boolean allowTagDelete) {

    public HostedConfig {
        allowTagDelete = allowTagDelete == null || allowTagDelete;
    }
}
