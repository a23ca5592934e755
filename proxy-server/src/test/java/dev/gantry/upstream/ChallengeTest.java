package dev.gantry.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChallengeTest {

    @Test
    void parsesDockerHubsBearerChallenge() {
        Challenge c = Challenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/alpine:pull\"");
        assertThat(c.isBearer()).isTrue();
        assertThat(c.realm()).isEqualTo("https://auth.docker.io/token");
        assertThat(c.service()).isEqualTo("registry.docker.io");
        assertThat(c.scope()).isEqualTo("repository:library/alpine:pull");
    }

    @Test
    void parsesBasicAndUnquotedParameters() {
        Challenge c = Challenge.parse("Basic realm=registry, charset=\"UTF-8\"");
        assertThat(c.isBasic()).isTrue();
        assertThat(c.realm()).isEqualTo("registry");
        assertThat(c.params()).containsEntry("charset", "UTF-8");
    }

    @Test
    void keepsCommasInsideQuotes() {
        Challenge c = Challenge.parse("Bearer realm=\"https://x/token\",scope=\"repository:a:pull,push\"");
        assertThat(c.scope()).isEqualTo("repository:a:pull,push");
    }

    @Test
    void nothingToParseIsNull() {
        assertThat(Challenge.parse(null)).isNull();
        assertThat(Challenge.parse("  ")).isNull();
    }
}
