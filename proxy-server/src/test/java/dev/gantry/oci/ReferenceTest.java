package dev.gantry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceTest {

    @Test
    void tellsTagsFromDigests() {
        Reference tag = Reference.parse("v1.2.3-rc_1");
        assertThat(tag.isDigest()).isFalse();
        assertThat(tag.tag()).isEqualTo("v1.2.3-rc_1");
        Reference digest = Reference.parse("sha256:" + "0".repeat(64));
        assertThat(digest.isDigest()).isTrue();
        assertThat(digest.digest().hex()).isEqualTo("0".repeat(64));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".hidden", "-dash", "a/b", "..", "tag with space"})
    void malformedTagsAreUnknownManifests(String tag) {
        assertThatThrownBy(() -> Reference.parse(tag))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN));
    }

    @Test
    void tagsAreAtMost128Characters() {
        assertThat(Reference.isValidTag("a".repeat(128))).isTrue();
        assertThat(Reference.isValidTag("a".repeat(129))).isFalse();
    }

    @Test
    void malformedDigestsAreInvalidDigests() {
        assertThatThrownBy(() -> Reference.parse("sha256:nothex"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
    }
}
