package dev.gantry.schema;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON settings for hardware documents: unknown keys are tolerated on read
 * (a newer writer may add keys), output is compact with sorted map keys, so a
 * document's bytes, and so its digest, depend only on its content.
 */
public final class HardwareJson {
    private HardwareJson() {
    }

    /** A new mapper with the document settings; callers keep and share it (it is thread-safe once built). */
    public static ObjectMapper mapper() {
        return JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .build();
    }
}
