package dev.gantry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DigestTest {

    private static final String EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void parsesSha256AndSha512() {
        Digest d = Digest.parse(EMPTY_SHA256);
        assertThat(d.algorithm()).isEqualTo("sha256");
        assertThat(d.toString()).isEqualTo(EMPTY_SHA256);
        assertThat(Digest.parse("sha512:" + "a".repeat(128)).algorithm()).isEqualTo("sha512");
    }

    @Test
    void sha256OfBytesMatchesTheKnownValue() {
        assertThat(Digest.sha256(new byte[0]).toString()).isEqualTo(EMPTY_SHA256);
        assertThat(Digest.parse(EMPTY_SHA256).matches(new byte[0])).isTrue();
        assertThat(Digest.parse(EMPTY_SHA256).matches("x".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "sha256", "sha256:", "sha256:abc", "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z",
        "sha256:../../../../etc/passwd", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/..",
        "md5:d41d8cd98f00b204e9800998ecf8427e", "blake3:" + "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"
    })
    void rejectsMalformedDigestsAndUnsupportedAlgorithms(String text) {
        assertThatThrownBy(() -> Digest.parse(text))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
    }

    @Test
    void unsupportedAlgorithmIsNamedInTheMessage() {
        assertThatThrownBy(() -> Digest.parse("md5:d41d8cd98f00b204e9800998ecf8427e"))
                .hasMessageContaining("unsupported digest algorithm 'md5'");
    }
}
