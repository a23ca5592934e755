package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * Who may do what. Without {@code htpasswd} there are no users: pulls are
 * anonymous (if allowed) and nothing can be pushed — anonymous push never is.
 *
 * @param htpasswd an htpasswd file of bcrypt entries ({@code htpasswd -B})
 * @param anonymousPull whether callers without credentials may pull from
 *     repositories no rule matches (never content of private upstreams)
 * @param rules access rules by repository prefix: the first rule matching the
 *     repository and naming the caller decides; a caller no matching rule
 *     names gets nothing. Where no rule matches, authenticated users may pull
 *     (except from private upstreams) and push and delete in hosted namespaces
 * @param tokenTtl lifetime of the bearer tokens {@code /token} issues
 * @param realm URL of the token endpoint advertised in challenges; by default
 *     derived from the request's Host header
 * @param service the token audience ({@code service} of the challenge)
 * @param maxFailedLogins failed logins per client address per minute before it is refused for a minute
 * @param tokenKeys PEM files of EC P-256 private keys for the bearer tokens:
 *     the first signs, all verify (rotation lists the new key second, then
 *     first, then drops the old one). Empty: a key generated once under
 *     {@code storage.disk.path}, which only a single replica can use
 * @param loopbackAdmin with no users configured, whether callers from a loopback address
 *     may use the admin API (off by default: nobody can)
 */
public record AuthConfig(
        @JsonProperty("htpasswd") String htpasswd,
        @JsonProperty("anonymousPull") Boolean anonymousPull,
        @JsonProperty("rules") List<AccessRule> rules,
        @JsonProperty("tokenTtl") Duration tokenTtl,
        @JsonProperty("realm") String realm,
        @JsonProperty("service") String service,
        @JsonProperty("maxFailedLogins") Integer maxFailedLogins,
        @JsonProperty("tokenKeys") List<String> tokenKeys,
        @JsonProperty("loopbackAdmin") Boolean loopbackAdmin) {

    public AuthConfig {
        anonymousPull = anonymousPull == null || anonymousPull;
        rules = rules == null ? List.of() : List.copyOf(rules);
        tokenTtl = tokenTtl != null ? tokenTtl : Duration.ofMinutes(5);
        service = service != null ? service : "gantry";
        maxFailedLogins = maxFailedLogins != null ? maxFailedLogins : 10;
        tokenKeys = tokenKeys == null ? List.of() : List.copyOf(tokenKeys);
        loopbackAdmin = loopbackAdmin != null && loopbackAdmin;
    }

    public boolean hasUsers() {
        return htpasswd != null && !htpasswd.isBlank();
    }

    /**
     * One rule: for repositories whose full name starts with {@code prefix}
     * ({@code local/}, {@code docker.io/library/}; proxied repositories are
     * named with their upstream in front), {@code users} may do {@code actions}.
     *
     * @param users user names; {@code *} is any authenticated user, {@code anonymous} is everyone
     * @param actions {@code pull}, {@code push}, {@code delete}, {@code admin} (the admin API; a rule
     *     whose only action is {@code admin} decides nothing else)
     */
    public record AccessRule(
            @JsonProperty("prefix") String prefix,
            @JsonProperty("users") List<String> users,
            @JsonProperty("actions") List<String> actions) {

        public AccessRule {
            prefix = prefix == null ? "" : prefix;
            users = users == null ? List.of() : List.copyOf(users);
            actions = actions == null ? List.of() : List.copyOf(actions);
        }
    }
}
