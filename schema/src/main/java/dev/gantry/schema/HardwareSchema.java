package dev.gantry.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Validates hardware documents against {@code /schema/hardware.v1.schema.json}
 * (JSON Schema 2020-12, formats asserted). Build one and share it: instances
 * are immutable and thread-safe.
 */
public final class HardwareSchema {
    /** Classpath location of the schema. */
    public static final String RESOURCE = "/schema/hardware.v1.schema.json";

    private final JsonSchema schema;
    private final ObjectMapper mapper = HardwareJson.mapper();

    public HardwareSchema() {
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        try (InputStream in = HardwareSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("schema resource missing from the classpath: " + RESOURCE);
            }
            this.schema = factory.getSchema(in, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The violations of a parsed document, empty when it is valid. */
    public List<String> violations(JsonNode document) {
        return schema.validate(document).stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    /** The violations of a document given as JSON text; unparseable text is one violation. */
    public List<String> violations(String json) {
        try {
            return violations(mapper.readTree(json));
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
    }

    /** The violations of a record, as serialised with {@link HardwareJson#mapper()}. */
    public List<String> violations(HardwareDocument document) {
        return violations(mapper.valueToTree(document));
    }

    /**
     * Throws {@link IllegalArgumentException} listing the violations unless the
     * document is valid; a one-line guard for tests and for code that publishes documents.
     */
    public void requireValid(HardwareDocument document) {
        List<String> violations = violations(document);
        if (!violations.isEmpty()) {
            throw new IllegalArgumentException("hardware document violates the schema: " + violations);
        }
    }
}
