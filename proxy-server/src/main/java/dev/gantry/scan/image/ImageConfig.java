package dev.gantry.scan.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an OCI/Docker image config that say something about
 * hardware: {@code Env}, {@code Labels}, {@code Volumes}, {@code Entrypoint},
 * {@code Cmd}, {@code WorkingDir} and the platform fields. Lenient: missing or
 * mistyped fields are empty, as container engines treat them.
 */
public record ImageConfig(String architecture, String os, String variant, Map<String, String> env,
        Map<String, String> labels, List<String> volumes, List<String> entrypoint, List<String> cmd,
        String workingDir) {

    public static final ImageConfig EMPTY = new ImageConfig(null, null, null, Map.of(), Map.of(), List.of(),
            List.of(), List.of(), null);

    public ImageConfig {
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        volumes = List.copyOf(volumes);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
    }

    /**
     * Parses config JSON.
     *
     * @throws IOException when it is not a JSON object
     */
    public static ImageConfig parse(byte[] json, ObjectMapper mapper) throws IOException {
        JsonNode root = mapper.readTree(json);
        if (root == null || !root.isObject()) {
            throw new IOException("the image config is not a JSON object");
        }
        JsonNode c = root.path("config");
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : strings(c.get("Env"))) {
            int eq = kv.indexOf('=');
            // later entries win, as in the engines
            env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode l = c.get("Labels");
        if (l != null && l.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                labels.put(e.getKey(), e.getValue().asText());
            }
        }
        List<String> volumes = new ArrayList<>();
        JsonNode v = c.get("Volumes");
        if (v != null && v.isObject()) {
            v.fieldNames().forEachRemaining(volumes::add);
        }
        return new ImageConfig(text(root.get("architecture")), text(root.get("os")), text(root.get("variant")),
                env, labels, volumes, strings(c.get("Entrypoint")), strings(c.get("Cmd")),
                text(c.get("WorkingDir")));
    }

    private static String text(JsonNode n) {
        return n == null || !n.isTextual() || n.asText().isEmpty() ? null : n.asText();
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            for (JsonNode e : n) {
                if (e.isTextual()) {
                    out.add(e.asText());
                }
            }
        } else if (n != null && n.isTextual()) {
            out.add(n.asText());
        }
        return out;
    }

    /** The argv a container starts with: Entrypoint then Cmd, or Cmd alone. */
    public List<String> argv() {
        List<String> argv = new ArrayList<>(entrypoint);
        argv.addAll(cmd);
        return argv;
    }
}
