package dev.gantry.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@link GantryConfig} from YAML. Unknown keys, wrong types and invalid
 * values fail with a {@link ConfigException} naming the key
 * ({@code upstreams[0].url}) and what was expected. String values may refer to
 * environment variables as {@code ${NAME}} or {@code ${NAME:-default}}.
 */
public final class ConfigLoader {

    /** The embedded default configuration: a copy of {@code conf/gantry.yaml}. */
    public static final String EMBEDDED = "/gantry.yaml";

    private static final Pattern YAML_MARK = Pattern.compile("line (\\d+), column (\\d+)");
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final ObjectMapper yaml;
    private final Function<String, String> environment;

    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
        SimpleModule units = new SimpleModule("gantry-units")
                .addDeserializer(Duration.class, new StringDeserializer<>(Durations::parse))
                .addDeserializer(ByteSize.class, new StringDeserializer<>(ByteSize::parse));
        this.yaml = new ObjectMapper(new YAMLFactory())
                .registerModule(units)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    /** A loader that expands {@code ${…}} from the process environment. */
    public static ConfigLoader withSystemEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /**
     * A loader that takes every value as written: for a configuration a program built from values a user gave
     * (a password may hold {@code ${}}), where no {@code ${…}} was ever meant.
     */
    public static ConfigLoader literal() {
        return new ConfigLoader(null);
    }

    public GantryConfig load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return load(in, file.toString());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public GantryConfig loadEmbedded() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(EMBEDDED)) {
            if (in == null) {
                throw new ConfigException("embedded default configuration " + EMBEDDED + " is missing from the jar");
            }
            return load(in, "embedded defaults");
        } catch (IOException e) {
            throw new ConfigException("cannot read embedded defaults: " + e.getMessage(), e);
        }
    }

    public GantryConfig load(InputStream in, String source) {
        JsonNode tree;
        try {
            tree = yaml.readTree(in);
        } catch (JsonProcessingException e) {
            String where = source + yamlPosition(e);
            throw new ConfigException(where + ": not valid YAML: " + yamlProblem(e), e);
        } catch (IOException e) {
            throw new ConfigException(source + ": cannot read: " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = yaml.createObjectNode();
        }
        if (!tree.isObject()) {
            throw new ConfigException(source + ": the top level must be a mapping of keys");
        }
        if (environment != null) {
            expand(tree, "");
        }
        List<String> problems = new ArrayList<>();
        GantryConfig config;
        try {
            config = yaml.reader().withHandler(new UnknownKeys(source, problems)).treeToValue(tree, GantryConfig.class);
        } catch (JsonMappingException e) {
            problems.add(source + ": key '" + path(e) + "': " + firstLine(e));
            throw new ConfigException(problems);
        } catch (JsonProcessingException e) {
            problems.add(source + ": " + firstLine(e));
            throw new ConfigException(problems);
        }
        try {
            ConfigValidator.validate(config, source);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems, config);
        }
        return config;
    }

    private void expand(JsonNode node, String where) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String key = where.isEmpty() ? field.getKey() : where + "." + field.getKey();
                if (field.getValue().isTextual()) {
                    field.setValue(new TextNode(expandText(field.getValue().asText(), key)));
                } else {
                    expand(field.getValue(), key);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                String key = where + "[" + i + "]";
                if (array.get(i).isTextual()) {
                    array.set(i, new TextNode(expandText(array.get(i).asText(), key)));
                } else {
                    expand(array.get(i), key);
                }
            }
        }
    }

    private String expandText(String text, String key) {
        Matcher m = ENV.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = environment.apply(m.group(1));
            if (value == null) {
                value = m.group(2);
            }
            if (value == null) {
                throw new ConfigException("key '" + key + "' refers to ${" + m.group(1)
                        + "}, which is not set (write ${" + m.group(1) + ":-default} to allow that)");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /**
     * ":line:column" of the problem, as SnakeYAML's message states it (its last
     * mark is the problem's; Jackson's own location is one column off for YAML).
     */
    private static String yamlPosition(JsonProcessingException e) {
        Matcher m = YAML_MARK.matcher(String.valueOf(e.getOriginalMessage()));
        String found = "";
        while (m.find()) {
            found = ":" + m.group(1) + ":" + m.group(2);
        }
        JsonLocation at = e.getLocation();
        if (found.isEmpty() && at != null && at.getLineNr() > 0) {
            found = ":" + at.getLineNr() + ":" + at.getColumnNr();
        }
        return found;
    }

    /**
     * SnakeYAML's message without its source excerpts: "while parsing a flow
     * sequence; expected ',' or ']', but got ':'".
     */
    private static String yamlProblem(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        return String.join("; ", m.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0))).toList());
    }

    private static String firstLine(JsonProcessingException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IllegalArgumentException iae && iae.getMessage() != null) {
            return iae.getMessage();
        }
        String m = e.getOriginalMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    private static String firstLine(IOException e) {
        return e instanceof JsonProcessingException j ? firstLine(j) : String.valueOf(e.getMessage());
    }

    /**
     * Records every unknown key and skips it, so one run names them all (Jackson
     * would stop at the first).
     */
    private static final class UnknownKeys extends DeserializationProblemHandler {
        private final String source;
        private final List<String> problems;

        UnknownKeys(String source, List<String> problems) {
            this.source = source;
            this.problems = problems;
        }

        @Override
        public boolean handleUnknownProperty(DeserializationContext ctx, JsonParser p, JsonDeserializer<?> deserializer,
                                             Object bean, String name) throws IOException {
            StringBuilder key = new StringBuilder(name);
            JsonStreamContext holder = p.getParsingContext();
            if (p.currentToken() == JsonToken.START_OBJECT || p.currentToken() == JsonToken.START_ARRAY) {
                holder = holder.getParent();
            }
            for (JsonStreamContext c = holder.getParent(); c != null && !c.inRoot(); c = c.getParent()) {
                if (c.inArray()) {
                    key.insert(0, "[" + c.getCurrentIndex() + "]" + (key.charAt(0) == '[' ? "" : "."));
                } else if (c.getCurrentName() != null) {
                    key.insert(0, c.getCurrentName() + (key.charAt(0) == '[' ? "" : "."));
                }
            }
            Collection<Object> known = deserializer.getKnownPropertyNames();
            problems.add(source + ": unknown key '" + key + "'" + (known == null ? "" : "; expected one of " + new TreeSet<>(
                    known.stream().map(String::valueOf).toList())));
            p.skipChildren();
            return true;
        }
    }

    /** Reads a scalar through a parse function whose IllegalArgumentException message says what was expected. */
    private static final class StringDeserializer<T> extends JsonDeserializer<T> {
        private final Function<String, T> parse;

        StringDeserializer(Function<String, T> parse) {
            this.parse = parse;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            String text = p.getValueAsString();
            if (text == null) {
                throw JsonMappingException.from(p, "expected a scalar value");
            }
            try {
                return parse.apply(text);
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, e.getMessage(), e);
            }
        }
    }
}
