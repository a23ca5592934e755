package dev.gantry.registry;

import java.util.List;

/**
 * One page of a repository's tags.
 *
 * @param name the repository name to report (as the client named it)
 * @param next the {@code last} value for the next page, or null when this is the last page
 */
public record TagList(String name, List<String> tags, String next, CacheOutcome outcome) {
}
