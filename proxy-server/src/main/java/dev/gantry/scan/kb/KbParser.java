package dev.gantry.scan.kb;

import static dev.gantry.scan.kb.KbFields.devices;
import static dev.gantry.scan.kb.KbFields.globs;
import static dev.gantry.scan.kb.KbFields.level;
import static dev.gantry.scan.kb.KbFields.requireKeys;
import static dev.gantry.scan.kb.KbFields.strings;
import static dev.gantry.scan.kb.KbFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gantry.scan.x86.X86Feature;
import dev.gantry.schema.Level;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the YAML files of the knowledge base, strictly: an unknown key, a
 * missing one, a bad glob or regex or level fails with a message naming the
 * file, the rule and the key, so a typo cannot silently disable a rule.
 */
final class KbParser {
    private static final Pattern FEATURE = Pattern.compile("[a-z0-9_]+");
    private static final Pattern HARDWARE = Pattern.compile("[a-z0-9]+(?:[.-][a-z0-9]+)*");
    private static final Set<String> FILE_KEYS = Set.of("cpu", "hardware", "rules", "skipPaths");
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "match", "implies");
    private static final Set<String> IMPLIES_KEYS = Set.of("hardware", "cpu", "level", "entrypoint", "closure",
            "volumes", "constraint");
    private static final Set<String> CONSTRAINTS = Set.of("nvidia-require", "cuda-version");

    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

    /** The parsed contents of one file, appended to the accumulators. */
    void parse(String file, byte[] bytes, List<Rule> rules, Map<String, HardwareClass> hardware,
            List<String> alwaysRequired, List<Glob> runtime, List<Glob> skipPaths, List<DispatchApi> dispatch) {
        JsonNode root;
        try {
            root = yaml.readTree(bytes);
        } catch (IOException e) {
            throw new KnowledgeBaseException(file + ": not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        String where = file;
        requireKeys(root, FILE_KEYS, where);
        JsonNode cpu = root.get("cpu");
        if (cpu != null) {
            requireKeys(cpu, Set.of("alwaysRequired", "runtime", "dispatch"), where + ": cpu");
            alwaysRequired.addAll(strings(cpu.get("alwaysRequired"), where + ": cpu.alwaysRequired"));
            runtime.addAll(globs(strings(cpu.get("runtime"), where + ": cpu.runtime"), where + ": cpu.runtime"));
            JsonNode apis = cpu.get("dispatch");
            if (apis != null) {
                if (!apis.isArray()) {
                    throw new KnowledgeBaseException(where + ": cpu.dispatch must be a list");
                }
                for (JsonNode a : apis) {
                    dispatch.add(dispatchApi(a, where + ": cpu.dispatch"));
                }
            }
        }
        skipPaths.addAll(globs(strings(root.get("skipPaths"), where + ": skipPaths"), where + ": skipPaths"));
        JsonNode classes = root.get("hardware");
        if (classes != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = classes.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String at = where + ": hardware." + e.getKey();
                if (!HARDWARE.matcher(e.getKey()).matches()) {
                    throw new KnowledgeBaseException(at + ": name must be dotted lower-case words");
                }
                requireKeys(e.getValue(), Set.of("description", "cdi", "devices", "patterns", "volumes", "needs"), at);
                if (hardware.containsKey(e.getKey())) {
                    throw new KnowledgeBaseException(at + ": defined twice");
                }
                hardware.put(e.getKey(), new HardwareClass(e.getKey(), text(e.getValue(), "description", at, false),
                        strings(e.getValue().get("cdi"), at + ".cdi"),
                        devices(e.getValue().get("devices"), at + ".devices"),
                        strings(e.getValue().get("patterns"), at + ".patterns"),
                        strings(e.getValue().get("volumes"), at + ".volumes"),
                        strings(e.getValue().get("needs"), at + ".needs")));
            }
        }
        JsonNode list = root.get("rules");
        if (list != null) {
            if (!list.isArray()) {
                throw new KnowledgeBaseException(where + ": rules must be a list");
            }
            for (JsonNode r : list) {
                rules.add(rule(r, where));
            }
        }
    }

    private static DispatchApi dispatchApi(JsonNode a, String where) {
        String id = text(a, "id", where, true);
        String at = where + " " + id;
        requireKeys(a, Set.of("id", "description", "symbols", "selects", "features"), at);
        List<String> symbols = strings(a.get("symbols"), at + ".symbols");
        if (symbols.isEmpty()) {
            throw new KnowledgeBaseException(at + ".symbols: nothing to match");
        }
        for (String s : symbols) {
            int star = s.indexOf('*');
            if (s.isEmpty() || s.equals("*") || (star >= 0 && star != s.length() - 1)) {
                throw new KnowledgeBaseException(at + ".symbols: '" + s + "' must be a name, or a prefix ending in *");
            }
        }
        String selects = text(a, "selects", at, true);
        DispatchApi.Selects sel;
        try {
            sel = DispatchApi.Selects.valueOf(selects.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new KnowledgeBaseException(at + ".selects: '" + selects + "' is not one of caller, referenced, file", e);
        }
        List<String> features = a.has("features") ? strings(a.get("features"), at + ".features") : List.of();
        if (!features.isEmpty() && sel != DispatchApi.Selects.FILE) {
            throw new KnowledgeBaseException(at + ".features: only a 'selects: file' interface names features");
        }
        return new DispatchApi(id, text(a, "description", at, false), symbols, sel, features);
    }

    private Rule rule(JsonNode r, String file) {
        String id = text(r, "id", file + ": a rule", true);
        String at = file + ": rule " + id;
        requireKeys(r, RULE_KEYS, at);
        String description = text(r, "description", at, false);
        JsonNode match = r.get("match");
        if (match == null || !match.isObject() || match.size() != 1) {
            throw new KnowledgeBaseException(at + ": match must have exactly one key of "
                    + kindKeys());
        }
        Map.Entry<String, JsonNode> m = match.fields().next();
        Rule.Kind kind = null;
        for (Rule.Kind k : Rule.Kind.values()) {
            if (k.key().equals(m.getKey())) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new KnowledgeBaseException(at + ": unknown match '" + m.getKey() + "' (one of " + kindKeys() + ")");
        }
        String mat = at + ": match." + m.getKey();
        JsonNode v = m.getValue();
        List<Glob> globs = List.of();
        Set<String> sections = Set.of();
        List<String> literals = List.of();
        Pattern value = null;
        Set<String> ignore = Set.of();
        switch (kind) {
            case PATH, NEEDED, DEVICE, COMMAND, VOLUME -> globs = globs(strings(v, mat), mat);
            case SECTION -> sections = Set.copyOf(strings(v, mat));
            case COMMAND_TEXT -> literals = strings(v, mat);
            case CONTENT -> {
                requireKeys(v, Set.of("path", "contains"), mat);
                globs = globs(strings(v.get("path"), mat + ".path"), mat + ".path");
                literals = strings(v.get("contains"), mat + ".contains");
            }
            case ENV, LABEL -> {
                requireKeys(v, kind == Rule.Kind.ENV ? Set.of("name", "value", "ignore") : Set.of("name", "value"), mat);
                globs = globs(List.of(text(v, "name", mat, true)), mat + ".name");
                String re = text(v, "value", mat, false);
                if (re != null) {
                    try {
                        value = Pattern.compile(re);
                    } catch (PatternSyntaxException e) {
                        throw new KnowledgeBaseException(mat + ".value: bad regular expression: " + e.getMessage(), e);
                    }
                }
                ignore = Set.copyOf(strings(v.get("ignore"), mat + ".ignore").stream()
                        .map(s -> s.toLowerCase(Locale.ROOT)).toList());
            }
            default -> throw new IllegalStateException(kind.toString());
        }
        if ((globs.isEmpty() && kind != Rule.Kind.SECTION && kind != Rule.Kind.COMMAND_TEXT)
                || (kind == Rule.Kind.SECTION && sections.isEmpty())
                || ((kind == Rule.Kind.COMMAND_TEXT || kind == Rule.Kind.CONTENT) && literals.isEmpty())) {
            throw new KnowledgeBaseException(mat + ": nothing to match");
        }
        return new Rule(id, description, kind, globs, sections, literals, value, ignore, implies(r.get("implies"), at));
    }

    private Implication implies(JsonNode i, String at) {
        String where = at + ": implies";
        if (i == null || !i.isObject()) {
            throw new KnowledgeBaseException(where + " is missing");
        }
        requireKeys(i, IMPLIES_KEYS, where);
        String hardware = text(i, "hardware", where, false);
        List<String> cpu = new ArrayList<>();
        for (String f : strings(i.get("cpu"), where + ".cpu")) {
            if (f.matches("x86-64-v[2-4]")) {
                int level = f.charAt(8) - '0';
                for (X86Feature x : X86Feature.values()) {
                    if (x.level() > 1 && x.level() <= level) {
                        cpu.add(x.flag());
                    }
                }
            } else if (FEATURE.matcher(f).matches()) {
                cpu.add(f);
            } else {
                throw new KnowledgeBaseException(where + ".cpu: '" + f + "' is not a /proc/cpuinfo flag or x86-64-vN");
            }
        }
        List<String> volumes = strings(i.get("volumes"), where + ".volumes");
        String levelText = text(i, "level", where, hardware != null || !cpu.isEmpty());
        Level level = levelText == null ? Level.SUPPORTED : level(levelText, where + ".level");
        String ep = text(i, "entrypoint", where, false);
        String constraint = text(i, "constraint", where, false);
        if (constraint != null && !CONSTRAINTS.contains(constraint)) {
            throw new KnowledgeBaseException(where + ".constraint: '" + constraint + "' is not one of " + CONSTRAINTS);
        }
        if (hardware == null && cpu.isEmpty() && volumes.isEmpty()) {
            throw new KnowledgeBaseException(where + ": implies nothing (give hardware, cpu or volumes)");
        }
        String closure = text(i, "closure", where, false);
        return new Implication(hardware, cpu, level, ep == null ? null : level(ep, where + ".entrypoint"),
                closure == null ? null : level(closure, where + ".closure"), volumes, constraint);
    }

    private static String kindKeys() {
        List<String> keys = new ArrayList<>();
        for (Rule.Kind k : Rule.Kind.values()) {
            keys.add(k.key());
        }
        return String.join(", ", keys);
    }
}
