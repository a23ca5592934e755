package dev.gantry.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import dev.gantry.testing.Launcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile cannot be built here (no registry to pull its base images
 * from), so what can be checked without building it is checked on its text:
 * the same entrypoint, user and layer order as image/build.sh's image, whose
 * real build ContainerImageIT tests.
 */
class DockerfileTest {

    private static final Path REPO = Launcher.repository();

    @Test
    void entrypointRunsTheJarWithTheLaunchersJvmFlags() throws IOException {
        List<String> expected = new ArrayList<>();
        expected.add("/usr/bin/java");
        expected.addAll(Launcher.jvmFlags());
        expected.addAll(List.of("-jar", "/opt/gantry/gantry.jar"));
        assertThat(execForm("ENTRYPOINT")).isEqualTo(expected);
        assertThat(execForm("CMD")).containsExactly("serve", "--config", "/etc/gantry/gantry.yaml");
    }

    @Test
    void runsAsANonRootNumericUserOnAJreOnlyBase() throws IOException {
        List<String> runtime = runtimeStage();
        assertThat(runtime.get(0)).startsWith("FROM ").contains("java17").doesNotContain("jdk").doesNotContain("maven");
        String user = instruction(runtime, "USER");
        assertThat(user).matches("\\d+:\\d+");
        assertThat(user).doesNotStartWith("0:");
        assertThat(stages()).as("multi-stage: Maven and a JDK only in the build stage").hasSize(2);
        assertThat(stages().get(0).get(0)).contains("maven").contains("17");
    }

    @Test
    void theJarIsCopiedLastIntoALayerOfItsOwn() throws IOException {
        List<String> copies = runtimeStage().stream().filter(l -> l.startsWith("COPY ")).toList();
        assertThat(copies.get(copies.size() - 1)).endsWith("/src/proxy-server/target/gantry.jar /opt/gantry/gantry.jar");
        assertThat(copies).filteredOn(c -> c.contains("gantry.jar")).hasSize(1);
        assertThat(copies).anyMatch(c -> c.endsWith("image/gantry.yaml /etc/gantry/gantry.yaml"));
        assertThat(copies).anyMatch(c -> c.contains("--chown=65532:65532") && c.endsWith(" /var/lib/gantry"));
    }

    @Test
    void exposesThePortDeclaresTheVolumeAndCarriesTheOciLabels() throws IOException {
        List<String> runtime = runtimeStage();
        assertThat(instruction(runtime, "EXPOSE")).isEqualTo("5000");
        assertThat(instruction(runtime, "VOLUME")).isEqualTo("[\"/var/lib/gantry\"]");
        assertThat(instruction(runtime, "WORKDIR")).isEqualTo("/var/lib/gantry");
        String labels = instruction(runtime, "LABEL");
        for (String key : List.of("title", "description", "source", "version", "revision", "created", "licenses")) {
            assertThat(labels).contains("org.opencontainers.image." + key + "=");
        }
    }

    @Test
    void theImagesDefaultConfigurationListensOnAllInterfacesAndKeepsDataInTheVolume() {
        GantryConfig config = new ConfigLoader(name -> null).load(REPO.resolve("image/gantry.yaml"));
        assertThat(config.listen()).isEqualTo("0.0.0.0:5000");
        assertThat(config.storage().disk().path()).isEqualTo("/var/lib/gantry");
        assertThat(config.upstreams()).singleElement().satisfies(u -> assertThat(u.name()).isEqualTo("docker.io"));
    }

    @Test
    void theBuildContextLeavesOutBuildOutputAndCaches() throws IOException {
        List<String> ignored = Files.readAllLines(REPO.resolve(".dockerignore"));
        assertThat(ignored).contains("**/target/", "image/.cache/", ".git/", "data/");
    }

    /** Instructions with continuation lines joined and comments dropped. */
    private static List<String> instructions() throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(REPO.resolve("Dockerfile"))) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            out.add(current.toString().replaceAll("\\s+", " "));
            current.setLength(0);
        }
        return out;
    }

    private static List<List<String>> stages() throws IOException {
        List<List<String>> stages = new ArrayList<>();
        for (String i : instructions()) {
            if (i.startsWith("FROM ")) {
                stages.add(new ArrayList<>());
            }
            if (!stages.isEmpty()) {
                stages.get(stages.size() - 1).add(i);
            }
        }
        return stages;
    }

    private static List<String> runtimeStage() throws IOException {
        List<List<String>> stages = stages();
        return stages.get(stages.size() - 1);
    }

    private static String instruction(List<String> stage, String keyword) {
        List<String> found = stage.stream().filter(l -> l.startsWith(keyword + " ")).toList();
        assertThat(found).as(keyword + " in the runtime stage").hasSize(1);
        return found.get(0).substring(keyword.length() + 1).strip();
    }

    private static List<String> execForm(String keyword) throws IOException {
        String json = instruction(runtimeStage(), keyword);
        assertThat(json).as(keyword + " in exec (JSON) form").startsWith("[");
        return List.of(new ObjectMapper().readValue(json, String[].class));
    }
}
