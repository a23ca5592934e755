package dev.gantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code gantry check}'s own command line: exit status 3 whenever it could not tell, and the profile it saves. */
class CheckCommandTest {

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run gantry(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new GantryCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aMistypedCommandLineCouldNotTellNotWillFail() {
        assertThat(gantry("check", "--no-such-option", "library/alpine").exit()).isEqualTo(3);
        assertThat(gantry("check", "--timeout", "soon", "library/alpine").exit()).isEqualTo(3);
        Run nothing = gantry("check");
        assertThat(nothing.exit()).isEqualTo(3);
        assertThat(nothing.err()).contains("--save-profile");
    }

    @Test
    void saveProfileWritesThisHostsProfileWhatProfileAndTheSearchTake() throws Exception {
        Path file = tmp.resolve("host.json");
        Run saved = gantry("check", "--save-profile", file.toString());
        assertThat(saved.exit()).as(saved.err()).isZero();
        JsonNode profile = new ObjectMapper().readTree(file.toFile());
        assertThat(profile.path("os").asText()).isEqualTo("linux");
        assertThat(profile.path("cpuFlags")).isNotEmpty();
        assertThat(Files.readString(file)).contains("\"devices\"");
    }

    @Test
    void aTagBeforeADigestIsDroppedAsDockerDoesAndAPortIsNoTag() {
        assertThat(CheckCommand.nameAndReference("alpine:3.19@sha256:abc")).containsExactly("alpine", "sha256:abc");
        assertThat(CheckCommand.nameAndReference("registry.local:5000/team/app")).containsExactly("registry.local:5000/team/app",
                "latest");
        assertThat(CheckCommand.nameAndReference("registry.local:5000/team/app:2")).containsExactly("registry.local:5000/team/app", "2");
        assertThat(CheckCommand.nameAndReference("registry.local:5000/app@sha256:abc")).containsExactly("registry.local:5000/app",
                "sha256:abc");
    }
}
