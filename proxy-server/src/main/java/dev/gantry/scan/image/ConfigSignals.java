package dev.gantry.scan.image;

import dev.gantry.scan.ShellCommands;
import dev.gantry.scan.kb.Implication;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.kb.Rule;
import dev.gantry.schema.Constraint;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Findings from the image config: environment variables (with the NVIDIA
 * requirement grammar), labels, volumes, and the words and text of the
 * entrypoint and command and of the shell scripts it runs.
 */
final class ConfigSignals {
    private final KnowledgeBase kb;
    private final DocumentBuilder out;

    ConfigSignals(KnowledgeBase kb, DocumentBuilder out) {
        this.kb = kb;
        this.out = out;
    }

    /**
     * Applies the config's signals; command rules also see the commands of the shell scripts the entry
     * point runs.
     */
    void apply(ImageConfig config, List<EntryClosure.ScriptCommand> scriptCommands) {
        env(config.env());
        for (Map.Entry<String, String> l : config.labels().entrySet()) {
            for (Rule r : kb.rules(Rule.Kind.LABEL)) {
                if (r.matchesName(l.getKey()) && r.matchesValue(l.getValue())) {
                    imply(r, r.implies().level(), new At(null, null, l.getKey(), null, l.getValue()));
                }
            }
        }
        for (String v : config.volumes()) {
            out.volume(v, new Evidence(Evidence.VOLUME, v, null, "config.volumes", null, null, null, null,
                    "Volumes", null));
            for (Rule r : kb.rules(Rule.Kind.VOLUME)) {
                if (r.matchesPath(v)) {
                    imply(r, r.implies().level(), new At(null, null, null, "Volumes", v));
                }
            }
        }
        List<String> argv = config.argv();
        List<String> words = words(argv);
        for (Rule r : kb.rules(Rule.Kind.COMMAND)) {
            for (String w : words) {
                if (r.matchesName(w.substring(w.lastIndexOf('/') + 1))) {
                    imply(r, r.implies().level(), new At(null, null, null, "Entrypoint/Cmd", w));
                    break;
                }
            }
        }
        String text = String.join(" ", argv);
        for (Rule r : kb.rules(Rule.Kind.COMMAND_TEXT)) {
            for (String literal : r.literals()) {
                if (text.contains(literal)) {
                    imply(r, r.implies().level(), new At(null, null, null, "Entrypoint/Cmd", literal));
                    devicePaths(literal, text);
                    break;
                }
            }
        }
        scripts(scriptCommands);
    }

    /** Command rules on the commands of the entry point's shell scripts, with the script as evidence. */
    private void scripts(List<EntryClosure.ScriptCommand> commands) {
        for (Rule r : kb.rules(Rule.Kind.COMMAND)) {
            for (EntryClosure.ScriptCommand c : commands) {
                ShellCommands.Command command = ShellCommands.parse(c.text());
                String program = command == null ? "" : command.program();
                if (r.matchesName(program.substring(program.lastIndexOf('/') + 1))) {
                    imply(r, r.implies().level(), new At(c.script(), null, null, null, c.text()));
                    break;
                }
            }
        }
        for (Rule r : kb.rules(Rule.Kind.COMMAND_TEXT)) {
            for (EntryClosure.ScriptCommand c : commands) {
                String literal = r.literals().stream().filter(c.text()::contains).findFirst().orElse(null);
                if (literal != null) {
                    imply(r, r.implies().level(), new At(c.script(), null, null, null, c.text()));
                    devicePaths(literal, c.text());
                    break;
                }
            }
        }
    }

    private void env(Map<String, String> env) {
        boolean disabled = NvidiaRequire.disabled(env.get("NVIDIA_DISABLE_REQUIRE"));
        boolean hasRequireCuda = env.containsKey("NVIDIA_REQUIRE_CUDA");
        for (Map.Entry<String, String> e : env.entrySet()) {
            for (Rule r : kb.rules(Rule.Kind.ENV)) {
                if (!r.matchesName(e.getKey()) || !r.matchesValue(e.getValue())) {
                    continue;
                }
                Implication i = r.implies();
                Level level = i.level();
                String detail = e.getValue();
                if (i.constraint() != null) {
                    Constraint c;
                    if (i.constraint().equals("cuda-version")) {
                        if (hasRequireCuda) {
                            continue; // NVIDIA_REQUIRE_CUDA states the requirement itself
                        }
                        c = NvidiaRequire.fromCudaVersion(e.getValue());
                    } else {
                        c = NvidiaRequire.parse(e.getKey(), e.getValue());
                    }
                    if (c == null) {
                        continue;
                    }
                    if (disabled) {
                        level = Level.SUPPORTED;
                        detail = detail + " (NVIDIA_DISABLE_REQUIRE is set)";
                    }
                    if (i.hardware() != null) {
                        out.constraint(i.hardware(), c);
                    }
                }
                imply(r, level, new At(null, e.getKey(), null, null, detail));
            }
        }
    }

    /**
     * The device paths a command names where a rule's literal is a device path prefix
     * ({@code /dev/video} in {@code -d /dev/video2}): the program opens exactly those, so they are
     * passthru-devices as they are written (never a pattern, never one with a shell expansion).
     */
    private void devicePaths(String literal, String text) {
        if (!literal.startsWith("/dev/")) {
            return;
        }
        Matcher m = Pattern.compile(Pattern.quote(literal) + "[A-Za-z0-9_./-]*").matcher(text);
        while (m.find()) {
            String path = m.group();
            int after = m.end();
            boolean literalPath = after >= text.length() || " \t,;:'\"".indexOf(text.charAt(after)) >= 0;
            if (literalPath && !path.endsWith("/") && !path.contains("/../")) {
                out.commandDevice(path);
            }
        }
    }

    /** Where a config finding comes from. */
    record At(String path, String env, String label, String config, String detail) {
    }

    private void imply(Rule r, Level level, At at) {
        Implication i = r.implies();
        if (i.hardware() != null) {
            out.hardware(i.hardware(), level, new Evidence(Evidence.HARDWARE, i.hardware(), level, r.id(), null,
                    at.path(), at.env(), at.label(), at.config(), at.detail()));
        }
        for (String f : i.cpu()) {
            out.cpu(f, level, new Evidence(Evidence.CPU_FEATURE, f, level, r.id(), null, at.path(), at.env(),
                    at.label(), at.config(), at.detail()));
        }
        for (String v : i.volumes()) {
            out.volume(v, new Evidence(Evidence.VOLUME, v, null, r.id(), null, at.path(), at.env(), at.label(),
                    at.config(), at.detail()));
        }
    }

    /** The words of argv, plus those of a {@code sh -c} script, for command rules. */
    static List<String> words(List<String> argv) {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            words.add(a);
            boolean script = i > 0 && a.equals("-c") && shell(argv.get(i - 1));
            if (script && i + 1 < argv.size()) {
                for (String w : argv.get(i + 1).split("[\\s;&|()]+")) {
                    if (!w.isEmpty()) {
                        words.add(w);
                    }
                }
            }
        }
        return words;
    }

    private static boolean shell(String argv0) {
        String name = argv0.substring(argv0.lastIndexOf('/') + 1);
        return name.equals("sh") || name.equals("bash") || name.equals("dash") || name.equals("ash")
                || name.equals("zsh");
    }
}
