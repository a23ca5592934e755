package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.AuthConfig;
import dev.gantry.config.AuthConfig.AccessRule;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

    private static AccessPolicy policy(boolean anonymousPull, AccessRule... rules) {
        return new AccessPolicy(new AuthConfig(null, anonymousPull, List.of(rules), null, null, null, null));
    }

    @Test
    void withoutRulesAnonymousMayPullAndUsersMayWriteOnlyWhatIsHosted() {
        AccessPolicy p = policy(true);
        assertThat(p.allows(null, "docker.io/library/alpine", false, false, "pull")).isTrue();
        assertThat(p.allows(null, "local/app", true, false, "push")).isFalse();
        assertThat(p.allows("alice", "local/app", true, false, "push")).isTrue();
        assertThat(p.allows("alice", "local/app", true, false, "delete")).isTrue();
        assertThat(p.allows("alice", "docker.io/library/alpine", false, false, "push")).isFalse();
        assertThat(policy(false).allows(null, "docker.io/library/alpine", false, false, "pull")).isFalse();
    }

    @Test
    void noRuleGrantsAnonymousWritesOrAnonymousReadsOfPrivateContent() {
        AccessPolicy p = policy(true, new AccessRule("", List.of("anonymous"), List.of("pull", "push", "delete")));
        assertThat(p.allows(null, "local/app", true, false, "push")).isFalse();
        assertThat(p.allows(null, "local/app", true, false, "delete")).isFalse();
        assertThat(p.allows(null, "private.example/team/app", false, true, "pull")).isFalse();
        assertThat(p.allows(null, "local/app", true, false, "pull")).isTrue();
    }

    @Test
    void theFirstRuleCoveringRepositoryAndCallerDecides() {
        AccessPolicy p = policy(true,
                new AccessRule("local/team/", List.of("alice"), List.of("pull", "push")),
                new AccessRule("local/team/", List.of("*"), List.of("pull")),
                new AccessRule("local/", List.of("*"), List.of()));
        assertThat(p.allows("alice", "local/team/app", true, false, "push")).isTrue();
        assertThat(p.allows("alice", "local/team/app", true, false, "delete")).isFalse();
        assertThat(p.allows("bob", "local/team/app", true, false, "pull")).isTrue();
        assertThat(p.allows("bob", "local/team/app", true, false, "push")).isFalse();
        assertThat(p.allows("bob", "local/other", true, false, "pull")).isFalse();
        assertThat(p.allows("bob", "docker.io/library/alpine", false, false, "pull")).as("no rule: defaults").isTrue();
    }
}
