package dev.gantry.hardware;

import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A hardware search: filters combined with AND (a filter given twice must
 * hold twice). Built from {@code GET /v2/_gantry/search} parameters by
 * {@link #parse}; immutable.
 *
 * @param hardware device classes the image must need ({@code gpu.nvidia}, or a class prefix at a dot: {@code gpu}), each
 *     with the weakest level that counts: {@code required} by default, {@code supported} for "uses it at all"
 * @param runsOn the x86-64 level (1 to 4) of a host the image must run on; 0 for no such filter
 * @param features CPU features the image uses (required or supported)
 * @param requires CPU features the image requires
 * @param devices {@code none}: needs no device passed through; {@code any}: needs at least one; null: either
 * @param repository a prefix of the repository's full name, or null
 */
public record SearchQuery(List<HardwareFilter> hardware, int runsOn, List<String> features, List<String> requires, String devices,
                          String architecture, String os, String variant, String repository) {

    /** One {@code hardware=} filter. */
    public record HardwareFilter(String name, Level level) {
    }

    /** Names of classes and features: what the scanner and {@code /proc/cpuinfo} use. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern LEVEL = Pattern.compile("x86-64-v([1-4])");

    /** The parameters {@link #parse} knows; paging ({@code n}, {@code last}) is the endpoint's. */
    public static final List<String> PARAMETERS = List.of("hardware", "runsOn", "feature", "requires", "devices", "arch", "os",
            "variant", "repository");

    public SearchQuery {
        hardware = List.copyOf(hardware);
        features = List.copyOf(features);
        requires = List.copyOf(requires);
    }

    /**
     * Parses search parameters.
     *
     * @param params every value of a parameter (empty when absent)
     * @throws IllegalArgumentException naming the parameter and what it accepts
     */
    public static SearchQuery parse(Function<String, List<String>> params) {
        List<HardwareFilter> hardware = new ArrayList<>();
        for (String h : params.apply("hardware")) {
            String name = h;
            Level level = Level.REQUIRED;
            int colon = h.indexOf(':');
            if (colon >= 0) {
                name = h.substring(0, colon);
                try {
                    level = Level.of(h.substring(colon + 1));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("hardware=" + h + ": the level after ':' must be 'required' or 'supported'");
                }
            }
            hardware.add(new HardwareFilter(name(name, "hardware"), level));
        }
        int runsOn = 0;
        String level = single(params, "runsOn");
        if (level != null) {
            var m = LEVEL.matcher(level.toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("runsOn must be an x86-64 level, x86-64-v1 to x86-64-v4, not '" + level + "'");
            }
            runsOn = Integer.parseInt(m.group(1));
        }
        List<String> features = params.apply("feature").stream().map(f -> name(f, "feature")).toList();
        List<String> requires = params.apply("requires").stream().map(f -> name(f, "requires")).toList();
        String devices = single(params, "devices");
        if (devices != null && !devices.equals("none") && !devices.equals("any")) {
            throw new IllegalArgumentException("devices must be 'none' or 'any', not '" + devices + "'");
        }
        String arch = single(params, "arch");
        String os = single(params, "os");
        String variant = single(params, "variant");
        for (String[] p : new String[][] {{"arch", arch}, {"os", os}, {"variant", variant}}) {
            if (p[1] != null) {
                name(p[1], p[0]);
            }
        }
        return new SearchQuery(hardware, runsOn, features, requires, devices, arch, os, variant, single(params, "repository"));
    }

    private static String single(Function<String, List<String>> params, String name) {
        List<String> values = params.apply(name);
        if (values.size() > 1) {
            throw new IllegalArgumentException(name + " may be given once");
        }
        return values.isEmpty() ? null : values.get(0);
    }

    private static String name(String value, String parameter) {
        String v = value.toLowerCase(Locale.ROOT);
        if (!NAME.matcher(v).matches()) {
            throw new IllegalArgumentException(parameter + " must be a name such as gpu.nvidia, avx512f or amd64, not '"
                    + (value.length() > 64 ? value.substring(0, 64) + "…" : value) + "'");
        }
        return v;
    }

    /** Whether an image in {@code repositoryName} with this document passes every filter. */
    boolean matches(String repositoryName, HardwareDocument doc) {
        var p = doc.platform();
        if (repository != null && !repositoryName.startsWith(repository)) {
            return false;
        }
        if (architecture != null && !architecture.equals(p.architecture())
                || os != null && !os.equals(p.os())
                || variant != null && !variant.equals(p.variant())) {
            return false;
        }
        for (HardwareFilter h : hardware) {
            if (!needs(p.hardware(), h)) {
                return false;
            }
        }
        Map<String, Level> cpu = p.cpu().features();
        for (String f : features) {
            if (!cpu.containsKey(f)) {
                return false;
            }
        }
        for (String f : requires) {
            if (cpu.get(f) != Level.REQUIRED) {
                return false;
            }
        }
        if (runsOn > 0 && (!"amd64".equals(p.architecture()) || x86Level(p.cpu().level()) > runsOn)) {
            return false;
        }
        if (devices != null && devices.equals("none") != doc.passthruDevices().isEmpty()) {
            return false;
        }
        return true;
    }

    private static boolean needs(Map<String, Level> classes, HardwareFilter h) {
        for (Map.Entry<String, Level> e : classes.entrySet()) {
            String c = e.getKey();
            boolean named = c.equals(h.name()) || c.startsWith(h.name() + ".");
            if (named && (h.level() == Level.SUPPORTED || e.getValue() == Level.REQUIRED)) {
                return true;
            }
        }
        return false;
    }

    /** The x86-64 level an image requires: 1 when it names none. */
    static int x86Level(String level) {
        if (level == null) {
            return 1;
        }
        var m = LEVEL.matcher(level);
        return m.matches() ? Integer.parseInt(m.group(1)) : 1;
    }
}
