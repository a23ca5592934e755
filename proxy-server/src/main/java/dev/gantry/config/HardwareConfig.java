package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * The hardware extension: layer scanning and the documents made from it.
 *
 * @param scan whether layers are scanned as they arrive (fills, pushes); queries scan on demand either way
 * @param knowledgeBase a directory with an edited knowledge base; the embedded one when absent
 * @param scanThreads layer scans at once (each is CPU-bound, streaming, with bounded memory)
 * @param scanQueue scans waiting for a thread, at most; past it background scans are dropped
 * @param waitBudget how long a query waits for scans before answering 202 with Retry-After
 * @param yieldToFills how long a background scan waits, at most, while blob fills run (so a pull's CPU
 *     goes to the pull); a query that needs a scan never waits for it. Zero: scans start at once
 * @param scanMemory heap all layer scans may take together (buffers, recorded paths and findings); a scan
 *     waits for its share, and one whose findings outgrow it stops, partial
 * @param scanTimeLimit how long one layer's scan may run; past it the scan stops, partial
 */
public record HardwareConfig(
        @JsonProperty("scan") Boolean scan,
        @JsonProperty("knowledgeBase") String knowledgeBase,
        @JsonProperty("scanThreads") Integer scanThreads,
        @JsonProperty("scanQueue") Integer scanQueue,
        @JsonProperty("waitBudget") Duration waitBudget,
        @JsonProperty("yieldToFills") Duration yieldToFills,
        @JsonProperty("scanMemory") ByteSize scanMemory,
        @JsonProperty("scanTimeLimit") Duration scanTimeLimit) {

    public HardwareConfig {
        scan = scan == null || scan;
        scanThreads = scanThreads != null ? scanThreads : 1;
        scanQueue = scanQueue != null ? scanQueue : 512;
        waitBudget = waitBudget != null ? waitBudget : Duration.ofSeconds(2);
        yieldToFills = yieldToFills != null ? yieldToFills : Duration.ofSeconds(5);
        scanMemory = scanMemory != null ? scanMemory : ByteSize.ofMebibytes(64);
        scanTimeLimit = scanTimeLimit != null ? scanTimeLimit : Duration.ofSeconds(120);
    }
}
