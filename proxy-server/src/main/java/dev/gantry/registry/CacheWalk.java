package dev.gantry.registry;

import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.MetadataStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * One pass over the metadata store's repositories: every repository that
 * holds a tag, with its tags, sorted by full name. Blocks; the admin API's
 * listings and evictions start from it.
 */
public final class CacheWalk {

    /** A repository that holds tags here. */
    record Entry(Repository repo, List<String> tags) {
    }

    private CacheWalk() {
    }

    /**
     * @param repository the repository of a namespace and name, or null when it is no longer served
     */
    static List<Entry> run(MetadataStore meta, BiFunction<String, String, Repository> repository) throws IOException {
        Map<String, TreeSet<String>> tags = new TreeMap<>();
        for (String key : meta.listRecursive("repositories/")) {
            int at = key.indexOf("/_tags/");
            if (at > 0) {
                tags.computeIfAbsent(key.substring(0, at), k -> new TreeSet<>()).add(key.substring(at + "/_tags/".length()));
            }
        }
        Map<String, Entry> byName = new TreeMap<>();
        for (var e : tags.entrySet()) {
            int slash = e.getKey().indexOf('/');
            Repository repo = slash > 0 ? repository.apply(e.getKey().substring(0, slash), e.getKey().substring(slash + 1)) : null;
            if (repo != null) {
                byName.put(repo.fullName(), new Entry(repo, new ArrayList<>(e.getValue())));
            }
        }
        return new ArrayList<>(byName.values());
    }

    /**
     * The repository stored under {@code namespace}/{@code name}, as a request
     * naming it would resolve it; null when that is no longer this one (its
     * upstream or hosted prefix left the configuration).
     */
    public static Repository resolveStored(RepositoryResolver resolver, String namespace, String name) {
        try {
            RepositoryName parsed = RepositoryName.of(name);
            boolean hosted = Repository.HOSTED_NAMESPACE.equals(namespace);
            Repository repo = resolver.resolve(hosted ? name : namespace + "/" + name, null);
            return repo.isHosted() == hosted && repo.namespace().equals(namespace) && repo.name().equals(parsed) ? repo : null;
        } catch (RegistryException e) {
            return null;
        }
    }
}
