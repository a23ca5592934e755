package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The best-effort reading of shell scripts that finds what a wrapper script runs. */
class ShellCommandsTest {
    private static List<String> programs(String script) {
        return ShellCommands.commands(script).stream().map(c -> (c.exec() ? "exec " : "") + c.program()).toList();
    }

    @Test
    void builtinsKeywordsAssignmentsAndRedirectionsAreNotPrograms() {
        String script = """
                #!/bin/sh
                set -e
                # exec /usr/bin/commented-out
                if [ "$1" = "serve" ]; then
                    echo "starting" >&2
                    LOG_LEVEL=debug /usr/local/bin/migrate --yes 2>&1
                fi
                export PATH=/opt/app/bin:$PATH
                exec >/dev/null 2>&1
                exec gosu app /opt/app/bin/server --config '/etc/app/a b.conf' "$@"
                """;
        assertThat(programs(script)).containsExactly("/usr/local/bin/migrate", "exec gosu");
        ShellCommands.Command last = ShellCommands.commands(script).get(1);
        assertThat(last.words()).containsExactly("gosu", "app", "/opt/app/bin/server", "--config",
                "/etc/app/a b.conf", "$@");
        assertThat(ShellCommands.parse(last.text())).isEqualTo(last);
    }

    @Test
    void hereDocumentBodiesAreNotCommands() {
        String script = "cat > /etc/app.conf <<'EOF'\nlisten 80\nserver_name x\nEOF\nexec \"$@\"\n";
        assertThat(programs(script)).containsExactly("cat", "exec $@");
    }

    @Test
    void aVariableProgramStaysRecognisablyUnresolved() {
        ShellCommands.Command c = ShellCommands.commands("exec \"$APP_BIN\" --port 80").get(0);
        assertThat(c.exec()).isTrue();
        assertThat(ShellCommands.literal(c.program())).isFalse();
        assertThat(ShellCommands.literal("/usr/bin/server")).isTrue();
    }

    @Test
    void separatorsSplitCommandsButRedirectionAmpersandsDoNot() {
        assertThat(programs("a && b || c | d; e & f 2>&1")).containsExactly("a", "b", "c", "d", "e", "f");
    }
}
