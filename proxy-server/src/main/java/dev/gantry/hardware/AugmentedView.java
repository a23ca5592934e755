package dev.gantry.hardware;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Manifest;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DAIS 2021 paper's downward-compatible view: the manifest or index with
 * each platform object extended by {@code cpu} and {@code hardware}, and
 * {@code passthru-devices} and {@code volumes} beside it. The added keys are
 * spliced into the original bytes, so removing them gives the manifest back
 * byte for byte. Served under its own media type: it is a view, never the
 * manifest, whose bytes and digest Gantry does not change.
 */
final class AugmentedView {

    static final String MEDIA_TYPE = "application/vnd.gantry.manifest.augmented.v1+json";

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = HardwareJson.mapper();

    private record Insert(long offset, String text) {
    }

    private AugmentedView() {
    }

    /** An image manifest: a top-level {@code platform} object and the device and volume lists. */
    /** The view of {@code body} (a manifest, or an index) with the documents of its platforms. */
    static byte[] of(byte[] body, String mediaType, List<HardwareService.PlatformDocument> docs) {
        if (!Manifest.parse(body, mediaType).isIndex()) {
            return ofManifest(body, docs.get(0).document());
        }
        Map<String, HardwareDocument> byDigest = new HashMap<>();
        docs.forEach(d -> byDigest.put(d.manifest().digest(), d.document()));
        return ofIndex(body, byDigest);
    }

    static byte[] ofManifest(byte[] manifest, HardwareDocument doc) {
        long end = -1;
        try (JsonParser p = FACTORY.createParser(manifest)) {
            int depth = 0;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    depth++;
                } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    depth--;
                    if (depth == 0) {
                        end = p.currentTokenLocation().getByteOffset();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> platform = new LinkedHashMap<>();
        platform.put("architecture", doc.platform().architecture());
        platform.put("os", doc.platform().os());
        if (doc.platform().variant() != null) {
            platform.put("variant", doc.platform().variant());
        }
        platform.put("cpu", doc.platform().cpu());
        platform.put("hardware", doc.platform().hardware());
        String text = ",\"platform\":" + json(platform) + deviceKeys(doc);
        return splice(manifest, List.of(new Insert(end, text)));
    }

    /**
     * An index: each entry with a document gets {@code cpu} and
     * {@code hardware} in its platform object and the lists beside it.
     *
     * @param docs documents by the entry's digest
     */
    static byte[] ofIndex(byte[] index, Map<String, HardwareDocument> docs) {
        List<Insert> inserts = new ArrayList<>();
        try (JsonParser p = FACTORY.createParser(index)) {
            int depth = 0;
            boolean inManifests = false;
            String entryDigest = null;
            boolean inPlatform = false;
            // Where the current entry's platform object closes; -1 when it has none.
            long pendingPlatformEnd = -1;
            String field = null;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case FIELD_NAME -> field = p.currentName();
                    case START_ARRAY -> {
                        depth++;
                        if (depth == 2 && "manifests".equals(field)) {
                            inManifests = true;
                        }
                    }
                    case END_ARRAY -> {
                        if (depth == 2) {
                            inManifests = false;
                        }
                        depth--;
                    }
                    case START_OBJECT -> {
                        depth++;
                        // depth 1: the index; 2: its manifests array; 3: an entry; 4: the entry's platform
                        if (inManifests && depth == 4 && "platform".equals(field)) {
                            inPlatform = true;
                        }
                    }
                    case END_OBJECT -> {
                        long at = p.currentTokenLocation().getByteOffset();
                        if (inPlatform && depth == 4) {
                            inPlatform = false;
                            pendingPlatformEnd = at;
                        } else if (inManifests && depth == 3) {
                            HardwareDocument doc = entryDigest == null ? null : docs.get(entryDigest);
                            if (doc != null && pendingPlatformEnd >= 0) {
                                inserts.add(new Insert(pendingPlatformEnd, ",\"cpu\":" + json(doc.platform().cpu())
                                        + ",\"hardware\":" + json(doc.platform().hardware())));
                                inserts.add(new Insert(at, deviceKeys(doc)));
                            }
                            entryDigest = null;
                            pendingPlatformEnd = -1;
                        }
                        depth--;
                    }
                    case VALUE_STRING -> {
                        if (inManifests && depth == 3 && "digest".equals(field)) {
                            entryDigest = p.getText();
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return splice(index, inserts);
    }

    private static String deviceKeys(HardwareDocument doc) {
        return ",\"passthru-devices\":" + json(doc.passthruDevices()) + ",\"volumes\":" + json(doc.volumes());
    }

    private static byte[] splice(byte[] original, List<Insert> inserts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(original.length + 512 * inserts.size());
        int from = 0;
        for (Insert in : inserts.stream().sorted((a, b) -> Long.compare(a.offset, b.offset)).toList()) {
            out.write(original, from, (int) in.offset - from);
            out.writeBytes(in.text.getBytes(StandardCharsets.UTF_8));
            from = (int) in.offset;
        }
        out.write(original, from, original.length - from);
        return out.toByteArray();
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
