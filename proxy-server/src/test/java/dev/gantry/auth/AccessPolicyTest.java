package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.AuthConfig;
import dev.gantry.config.AuthConfig.AccessRule;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

    private static AccessPolicy policy(boolean anonymousPull, AccessRule... rules) {
        return new AccessPolicy(new AuthConfig(null, anonymousPull, List.of(rules), null, null, null, null, null, null));
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

    @Test
    void aUserNoMatchingRuleNamesGetsNothingNotEvenTheDefaults() {
        AccessPolicy p = policy(true, new AccessRule("priv.example/", List.of("alice"), List.of("pull")));
        assertThat(p.allows("alice", "priv.example/team/app", false, true, "pull")).isTrue();
        assertThat(p.allows("bob", "priv.example/team/app", false, true, "pull")).isFalse();
        assertThat(p.allows(null, "priv.example/team/app", false, true, "pull")).isFalse();
        // The same rule over a public upstream or a hosted namespace: still nothing for bob, nor for anonymous.
        AccessPolicy local = policy(true, new AccessRule("local/team/", List.of("alice"), List.of("pull", "push")));
        assertThat(local.allows("bob", "local/team/app", true, false, "pull")).isFalse();
        assertThat(local.allows("bob", "local/team/app", true, false, "push")).isFalse();
        assertThat(local.allows(null, "local/team/app", true, false, "pull")).isFalse();
        assertThat(local.allows("bob", "local/other", true, false, "push")).as("no rule matches: defaults").isTrue();
        assertThat(local.allows(null, "local/other", true, false, "pull")).as("no rule matches: anonymousPull").isTrue();
    }

    @Test
    void privateUpstreamContentNeedsARuleThatGrantsIt() {
        AccessPolicy none = policy(true);
        assertThat(none.allows("alice", "priv.example/team/app", false, true, "pull")).isFalse();
        assertThat(none.allows(null, "priv.example/team/app", false, true, "pull")).isFalse();
        AccessPolicy everyone = policy(true, new AccessRule("", List.of("anonymous"), List.of("pull")));
        assertThat(everyone.allows("alice", "priv.example/team/app", false, true, "pull")).isTrue();
        assertThat(everyone.allows(null, "priv.example/team/app", false, true, "pull"))
                .as("anonymous never reads a private upstream").isFalse();
    }

    @Test
    void aLaterRuleStillDecidesForUsersAnEarlierOneDoesNotName() {
        AccessPolicy p = policy(false,
                new AccessRule("local/", List.of("ci"), List.of("pull", "push", "delete")),
                new AccessRule("", List.of("*"), List.of("pull")));
        assertThat(p.allows("ci", "local/app", true, false, "push")).isTrue();
        assertThat(p.allows("bob", "local/app", true, false, "pull")).isTrue();
        assertThat(p.allows("bob", "local/app", true, false, "push")).isFalse();
        assertThat(p.allows("bob", "priv.example/team/app", false, true, "pull")).isTrue();
        assertThat(p.allows(null, "docker.io/library/alpine", false, false, "pull")).isFalse();
    }

    @Test
    void anEmptyPrefixMatchesEveryRepositorySoDefaultsApplyNowhere() {
        AccessPolicy p = policy(true, new AccessRule("", List.of("admin"), List.of("pull", "push", "delete")));
        assertThat(p.allows("admin", "priv.example/team/app", false, true, "pull")).isTrue();
        assertThat(p.allows("admin", "local/app", true, false, "delete")).isTrue();
        assertThat(p.allows(null, "docker.io/library/alpine", false, false, "pull")).isFalse();
        assertThat(p.allows("bob", "local/app", true, false, "push")).isFalse();
    }

    @Test
    void adminHasNoDefaultsAndAnAdminOnlyRuleDecidesNothingElse() {
        AccessPolicy none = policy(true);
        assertThat(none.allows("alice", "local/app", true, false, Access.ADMIN)).isFalse();
        assertThat(none.administersAny("alice")).isFalse();

        AccessPolicy p = policy(true,
                new AccessRule("local/ci/", List.of("ci"), List.of("pull", "push", "admin")),
                new AccessRule("", List.of("ops"), List.of("admin")));
        assertThat(p.allows("ops", "docker.io/library/alpine", false, false, Access.ADMIN)).isTrue();
        assertThat(p.allows("ops", "local/ci/app", true, false, Access.ADMIN)).isTrue();
        assertThat(p.allows("ci", "local/ci/app", true, false, Access.ADMIN)).isTrue();
        assertThat(p.allows("ci", "local/other", true, false, Access.ADMIN)).isFalse();
        assertThat(p.allows(null, "local/ci/app", true, false, Access.ADMIN)).as("never anonymous").isFalse();
        // The admin-only rule matches every repository, yet pulls and hosted pushes keep their defaults.
        assertThat(p.allows("alice", "docker.io/library/alpine", false, false, Access.PULL)).isTrue();
        assertThat(p.allows("alice", "local/app", true, false, Access.PUSH)).isTrue();
        assertThat(p.allows(null, "docker.io/library/alpine", false, false, Access.PULL)).isTrue();
        assertThat(p.allows("ops", "local/app", true, false, Access.PUSH)).isTrue();
        assertThat(p.administersAny("ops")).isTrue();
        assertThat(p.administersAny(null)).isFalse();
        AccessPolicy everyone = policy(true, new AccessRule("", List.of("anonymous"), List.of("admin")));
        assertThat(everyone.allows(null, "local/app", true, false, Access.ADMIN)).as("no rule makes anonymous callers admins").isFalse();
        assertThat(everyone.administersAny(null)).isFalse();
    }

    @Test
    void aWildcardScopeDoesNotCarryAdmin() {
        Access all = new Access("repository", "local/app", java.util.Set.of("*"));
        assertThat(all.allows(Access.PUSH)).isTrue();
        assertThat(all.allows(Access.ADMIN)).isFalse();
        assertThat(new Access("repository", "local/app", java.util.Set.of("admin")).allows(Access.ADMIN)).isTrue();
    }
}
