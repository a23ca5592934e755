package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The memory tier: small hot blobs in direct (off-heap) memory.
 *
 * @param maxBytes bytes of blobs held; 0 turns the tier off. Direct memory
 *     must be large enough: start-up refuses a value over
 *     {@code -XX:MaxDirectMemorySize} less 32 MiB for network buffers
 * @param maxBlobBytes only blobs up to this size are held
 */
public record MemoryConfig(@JsonProperty("maxBytes") ByteSize maxBytes, @JsonProperty("maxBlobBytes") ByteSize maxBlobBytes) {

    public MemoryConfig {
        maxBytes = maxBytes != null ? maxBytes : ByteSize.ofMebibytes(32);
        maxBlobBytes = maxBlobBytes != null ? maxBlobBytes : ByteSize.ofMebibytes(4);
    }

    public boolean enabled() {
        return maxBytes.bytes() > 0;
    }
}
