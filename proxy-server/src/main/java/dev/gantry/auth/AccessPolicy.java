package dev.gantry.auth;

import dev.gantry.config.AuthConfig;
import java.util.List;

/**
 * Who may pull, push and delete what. Rules are tried in order; the first
 * whose prefix matches the repository's full name and whose users include
 * the caller decides: the caller may do its actions there, nothing more.
 * Once any rule's prefix matches a repository, a caller no matching rule
 * names gets nothing there, not even the defaults. Only a repository no
 * rule matches gets the defaults: anyone may pull if anonymous pull is on,
 * authenticated users may pull and may push and delete in hosted
 * namespaces. Content of a private upstream (one Gantry reaches with
 * credentials) has no defaults: only a rule grants it. And two things no
 * rule can grant: anonymous push or delete, and anonymous reads of a
 * private upstream's content. {@code admin} (the admin API) has no
 * defaults at all, and a rule whose only action is {@code admin} speaks for
 * the admin API alone: it decides nothing about pull, push or delete.
 * Thread-safe (immutable).
 */
public final class AccessPolicy {

    private final List<AuthConfig.AccessRule> rules;
    private final boolean anonymousPull;

    public AccessPolicy(AuthConfig config) {
        this.rules = config.rules();
        this.anonymousPull = config.anonymousPull();
    }

    /**
     * @param user the authenticated user, or null for an anonymous caller
     * @param fullName the repository as rules name it ({@code local/app}, {@code docker.io/library/alpine})
     * @param hosted whether the repository is hosted
     * @param privateUpstream whether its content came through an upstream Gantry reaches with credentials
     */
    public boolean allows(String user, String fullName, boolean hosted, boolean privateUpstream, String action) {
        boolean anonymous = user == null;
        if (anonymous && (!Access.PULL.equals(action) || privateUpstream)) {
            return false;
        }
        boolean admin = Access.ADMIN.equals(action);
        boolean matched = false;
        for (AuthConfig.AccessRule rule : rules) {
            if (!fullName.startsWith(rule.prefix()) || (!admin && adminOnly(rule))) {
                continue;
            }
            matched = true;
            if (covers(rule, user)) {
                return rule.actions().contains(action);
            }
        }
        if (matched || privateUpstream || admin) {
            // Rules speak for this repository (or it is private): what they do not grant is refused.
            return false;
        }
        if (anonymous) {
            return anonymousPull;
        }
        return Access.PULL.equals(action) || hosted;
    }

    /**
     * Whether {@code user} holds {@code admin} on some repository: may use the
     * admin API's listings (which show only what it administers). Never
     * anonymous callers.
     */
    public boolean administersAny(String user) {
        if (user == null) {
            return false;
        }
        return rules.stream().anyMatch(r -> r.actions().contains(Access.ADMIN) && covers(r, user));
    }

    private static boolean adminOnly(AuthConfig.AccessRule rule) {
        return !rule.actions().isEmpty() && rule.actions().stream().allMatch(Access.ADMIN::equals);
    }

    private static boolean covers(AuthConfig.AccessRule rule, String user) {
        if (rule.users().contains("anonymous")) {
            return true;
        }
        return user != null && (rule.users().contains("*") || rule.users().contains(user));
    }
}
