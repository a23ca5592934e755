package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * What one platform of an image needs from its host: the Java form of
 * {@code schema/hardware.v1.schema.json}. The paper's keys
 * ({@code platform.cpu.architecture}, {@code platform.cpu.features},
 * {@code platform.hardware}, {@code platform.os}, {@code passthru-devices},
 * {@code volumes}) keep their DAIS 2021 spelling; the rest is additive.
 *
 * <p>Immutable; lists are copied, maps sorted, so equal documents serialise
 * to equal bytes with {@link HardwareJson#mapper()}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "subject", "platform", "passthru-devices", "volumes", "devices", "evidence", "scan"})
public record HardwareDocument(
        String schemaVersion,
        Descriptor subject,
        Platform platform,
        @JsonProperty("passthru-devices") List<String> passthruDevices,
        List<String> volumes,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Device> devices,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Evidence> evidence,
        ScanInfo scan) {

    /** The value of {@code schemaVersion} for this version of the format. */
    public static final String SCHEMA_VERSION = "gantry.dev/hardware/v1";

    public HardwareDocument {
        requireNonNull(schemaVersion, "schemaVersion");
        requireNonNull(platform, "platform");
        requireNonNull(scan, "scan");
        passthruDevices = Collections2.list(passthruDevices);
        volumes = Collections2.list(volumes);
        devices = Collections2.list(devices);
        evidence = Collections2.list(evidence);
    }
}
