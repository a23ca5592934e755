package dev.gantry.scan.kb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hardware knowledge base: rules and device classes loaded from YAML
 * (see {@code conf/hardware-kb/README.md}), with a {@linkplain #version()
 * version} that is the digest of its content, so every result can say which
 * knowledge base produced it and stale results can be found and rescanned.
 *
 * <p>Load it once with {@link #load(Path)} or {@link #embedded()} and share
 * it: instances are immutable and thread-safe.
 */
public final class KnowledgeBase {
    /** Classpath directory of the embedded copy of {@code conf/hardware-kb}. */
    public static final String EMBEDDED = "/dev/gantry/scan/kb/default/";
    static final String INDEX = "index.yaml";

    private final String version;
    private final List<Rule> rules;
    private final Map<Rule.Kind, List<Rule>> byKind;
    private final Map<String, HardwareClass> hardware;
    private final Set<String> alwaysRequired;
    private final List<Glob> runtime;
    private final List<Glob> skipPaths;
    private final List<DispatchApi> dispatchApis;
    private final Set<String> sectionNames;
    private final PathIndex paths;
    private final PathIndex contentPaths;

    private KnowledgeBase(String version, List<Rule> rules, Map<String, HardwareClass> hardware,
            Set<String> alwaysRequired, List<Glob> runtime, List<Glob> skipPaths, List<DispatchApi> dispatchApis) {
        this.runtime = List.copyOf(runtime);
        this.dispatchApis = List.copyOf(dispatchApis);
        this.skipPaths = List.copyOf(skipPaths);
        this.version = version;
        this.rules = List.copyOf(rules);
        this.hardware = Collections.unmodifiableMap(new LinkedHashMap<>(hardware));
        this.alwaysRequired = Set.copyOf(alwaysRequired);
        Map<Rule.Kind, List<Rule>> kinds = new EnumMap<>(Rule.Kind.class);
        Set<String> sections = new HashSet<>();
        for (Rule r : rules) {
            kinds.computeIfAbsent(r.kind(), k -> new ArrayList<>()).add(r);
            sections.addAll(r.sections());
        }
        kinds.replaceAll((k, v) -> List.copyOf(v));
        this.byKind = Collections.unmodifiableMap(kinds);
        this.sectionNames = Set.copyOf(sections);
        this.paths = new PathIndex(rules(Rule.Kind.PATH));
        this.contentPaths = new PathIndex(rules(Rule.Kind.CONTENT));
    }

    /**
     * Loads the knowledge base from a directory holding {@code index.yaml} and the files it lists.
     *
     * @throws KnowledgeBaseException naming the file, rule and key at fault
     */
    public static KnowledgeBase load(Path directory) {
        return load(name -> {
            Path p = directory.resolve(name).normalize();
            if (!p.startsWith(directory.normalize())) {
                throw new KnowledgeBaseException(name + ": must be a file in " + directory);
            }
            try {
                return Files.readAllBytes(p);
            } catch (IOException e) {
                throw new KnowledgeBaseException(p + ": cannot be read: " + e, e);
            }
        });
    }

    /** The copy of {@code conf/hardware-kb} built into the jar. */
    public static KnowledgeBase embedded() {
        return load(name -> {
            try (InputStream in = KnowledgeBase.class.getResourceAsStream(EMBEDDED + name)) {
                if (in == null) {
                    throw new KnowledgeBaseException("embedded knowledge base lacks " + name
                            + " (was conf/hardware-kb copied into the jar?)");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new KnowledgeBaseException("embedded " + name + ": " + e, e);
            }
        });
    }

    /** Reads one file of the knowledge base by name. */
    @FunctionalInterface
    public interface Source {
        byte[] read(String name);
    }

    /** Loads from any source of named files (the directory and classpath loaders use this). */
    public static KnowledgeBase load(Source source) {
        byte[] index = source.read(INDEX);
        List<String> files = files(index);
        MessageDigest sha = sha256();
        update(sha, INDEX, index);
        List<Rule> rules = new ArrayList<>();
        Map<String, HardwareClass> hardware = new LinkedHashMap<>();
        List<String> alwaysRequired = new ArrayList<>();
        List<Glob> runtime = new ArrayList<>();
        List<Glob> skipPaths = new ArrayList<>();
        List<DispatchApi> dispatch = new ArrayList<>();
        KbParser parser = new KbParser();
        for (String file : files) {
            byte[] bytes = source.read(file);
            update(sha, file, bytes);
            parser.parse(file, bytes, rules, hardware, alwaysRequired, runtime, skipPaths, dispatch);
        }
        Set<String> ids = new HashSet<>();
        for (Rule r : rules) {
            if (!ids.add(r.id())) {
                throw new KnowledgeBaseException("rule id '" + r.id() + "' is used twice");
            }
            String hw = r.implies().hardware();
            if (hw != null && !hardware.containsKey(hw)) {
                throw new KnowledgeBaseException("rule " + r.id() + ": implies hardware '" + hw
                        + "', which no file defines under hardware:");
            }
        }
        String version = "sha256:" + HexFormat.of().formatHex(sha.digest());
        Set<String> apiIds = new HashSet<>();
        for (DispatchApi a : dispatch) {
            if (!apiIds.add(a.id())) {
                throw new KnowledgeBaseException("cpu.dispatch id '" + a.id() + "' is used twice");
            }
        }
        return new KnowledgeBase(version, rules, hardware, new HashSet<>(alwaysRequired), runtime, skipPaths, dispatch);
    }

    private static List<String> files(byte[] index) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(index);
        } catch (IOException e) {
            throw new KnowledgeBaseException(INDEX + ": not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || root.path("format").asInt() != 1 || !root.path("files").isArray()) {
            throw new KnowledgeBaseException(INDEX + ": expected 'format: 1' and a 'files' list");
        }
        List<String> files = new ArrayList<>();
        for (JsonNode f : root.get("files")) {
            String name = f.asText();
            if (name.isEmpty() || name.contains("/") || name.contains("\\")) {
                throw new KnowledgeBaseException(INDEX + ": '" + name + "' must be a file name in the same directory");
            }
            files.add(name);
        }
        return files;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    private static void update(MessageDigest sha, String name, byte[] bytes) {
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(Long.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) 0);
        sha.update(bytes);
    }

    /** {@code sha256:<hex>} of the index and every file it lists (names, lengths, bytes, in order). */
    public String version() {
        return version;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The rules of one kind, in load order. */
    public List<Rule> rules(Rule.Kind kind) {
        return byKind.getOrDefault(kind, List.of());
    }

    /** The device class of this name, or null. */
    public HardwareClass hardware(String name) {
        return hardware.get(name);
    }

    public Map<String, HardwareClass> hardwareClasses() {
        return hardware;
    }

    /** CPU features whose instructions make them required even in code that probes the CPU. */
    public Set<String> alwaysRequired() {
        return alwaysRequired;
    }

    /**
     * Whether the file is part of the C runtime ({@code cpu.runtime}: glibc, the dynamic loader,
     * libgcc_s, libstdc++, libgomp...), whose CPU dispatch and unwinder paths are its own and never
     * make a CPU feature required or supported for the image.
     */
    public boolean isCRuntime(String path) {
        return anyMatches(runtime, path);
    }

    /** The CPU-feature query interfaces ({@code cpu.dispatch}) whose use means a file chooses instructions at run time. */
    public List<DispatchApi> dispatchApis() {
        return dispatchApis;
    }

    /** Whether the path is documentation ({@code skipPaths}: man pages, share/doc), which no rule matches. */
    public boolean isSkipped(String path) {
        return anyMatches(skipPaths, path);
    }

    private static boolean anyMatches(List<Glob> globs, String path) {
        for (Glob g : globs) {
            if (g.matchesPath(path)) {
                return true;
            }
        }
        return false;
    }

    /** Section names some rule looks for. */
    public Set<String> sectionNames() {
        return sectionNames;
    }

    /** The path rules matching a file's absolute path. */
    public List<Rule> matchPath(String path) {
        return isSkipped(path) ? List.of() : paths.match(path);
    }

    /** The content rules whose files include this path (the caller then looks for their literals). */
    public List<Rule> matchContentPath(String path) {
        return isSkipped(path) ? List.of() : contentPaths.match(path);
    }
}
