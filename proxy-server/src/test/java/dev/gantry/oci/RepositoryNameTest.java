package dev.gantry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RepositoryNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"alpine", "library/alpine", "a/b/c/d", "my-org/my_app", "a__b", "a--b", "v1.2/x.y", "0"})
    void acceptsNamesOfTheSpecGrammar(String name) {
        assertThat(RepositoryName.of(name).toString()).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Alpine", "library//alpine", "/alpine", "alpine/", "..", "a/../b", "a/./b", "a/%2e%2e/b",
        "a%2Fb", "a b", "-a", "a-", "a___b", "a/.hidden", "a\u0000b", "ä"})
    void rejectsEverythingElse(String name) {
        assertThatThrownBy(() -> RepositoryName.of(name))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
    }

    @Test
    void rejectsNamesOver255Characters() {
        String name = "a/".repeat(127) + "ab";
        assertThat(name).hasSize(256);
        assertThatThrownBy(() -> RepositoryName.of(name)).hasMessageContaining("the limit is 255");
        assertThat(RepositoryName.of(name.substring(0, 255)).toString()).hasSize(255);
    }

    @Test
    void theScannerAcceptsExactlyWhatTheSpecsExpressionAccepts() {
        // Every string up to 5 characters over an alphabet of each character class the grammar knows.
        char[] alphabet = {'a', '0', '.', '_', '-', '/', 'A', '%'};
        int checked = 0;
        for (int len = 1; len <= 5; len++) {
            int[] idx = new int[len];
            while (true) {
                StringBuilder b = new StringBuilder();
                for (int i : idx) {
                    b.append(alphabet[i]);
                }
                String s = b.toString();
                boolean expected = java.util.Arrays.stream(s.split("/", -1)).allMatch(c -> RepositoryName.COMPONENT.matcher(c).matches());
                assertThat(RepositoryName.valid(s)).as("'%s'", s).isEqualTo(expected);
                checked++;
                int k = len - 1;
                while (k >= 0 && ++idx[k] == alphabet.length) {
                    idx[k--] = 0;
                }
                if (k < 0) {
                    break;
                }
            }
        }
        assertThat(checked).isEqualTo(8 + 64 + 512 + 4096 + 32768);
    }

    @Test
    void prefixingRevalidates() {
        assertThat(RepositoryName.of("alpine").withPrefix("library").toString()).isEqualTo("library/alpine");
        assertThat(RepositoryName.of("alpine").depth()).isEqualTo(1);
        assertThat(RepositoryName.of("a/b/c").depth()).isEqualTo(3);
    }
}
