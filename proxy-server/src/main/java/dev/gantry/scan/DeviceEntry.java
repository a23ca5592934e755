package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A device node, or anything else under {@code /dev}, left in a layer.
 *
 * @param path absolute path in the layer
 * @param type {@code char}, {@code block}, {@code fifo}, {@code file} or {@code symlink}
 * @param major device major number (device nodes only, else -1)
 * @param minor device minor number (device nodes only, else -1)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeviceEntry(String path, String type, int major, int minor) {
    public DeviceEntry {
        requireNonNull(path, "path");
        requireNonNull(type, "type");
    }
}
