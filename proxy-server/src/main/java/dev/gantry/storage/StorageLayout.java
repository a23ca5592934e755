package dev.gantry.storage;

import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import java.nio.file.Path;

/**
 * The one place that turns registry objects into storage keys and paths.
 * Every key is built from validated parts (digests are lower-case hex,
 * repository names follow the spec's grammar, upstream names are host names
 * from the configuration, tags match the tag grammar), so no key can contain
 * {@code ..}; stores still check that each resolved path stays under the root.
 *
 * <pre>
 * &lt;storage.disk.path&gt;/
 * ├── blobs/&lt;alg&gt;/&lt;hh&gt;/&lt;hex&gt;            verified blob content (the disk tier)
 * ├── spool/&lt;random&gt;.part                blobs being written; emptied at start-up
 * ├── seed/done                             the buckets this directory's pushed content was copied to, one a line
 * ├── seed/journal                          a bucket, then the hosted records a seed in progress settled, one a line
 * └── meta/                                 the metadata store: small records
 *     ├── manifests/&lt;alg&gt;/&lt;hh&gt;/&lt;hex&gt;    media type line, then the manifest bytes
 *     └── repositories/&lt;upstream&gt;/&lt;repository...&gt;/
 *         ├── _tags/&lt;tag&gt;                 tag record (JSON): digest, media type, times
 *         ├── _links/&lt;alg&gt;/&lt;hex&gt;          empty: this repository may serve that digest
 *         ├── _pulled                     when a client last got a manifest here (ISO-8601, to the minute)
 *         └── _referrers/&lt;alg&gt;/&lt;subject-hex&gt;/&lt;hex&gt;   descriptor (JSON) of a manifest whose subject that is
 *     catalog/&lt;repository...&gt;/_repo        empty: a hosted repository exists
 *     scans/&lt;alg&gt;/&lt;hh&gt;/&lt;hex&gt;         layer findings (JSON) of the scanner, by layer digest
 *     hardware/&lt;alg&gt;/&lt;hh&gt;/&lt;hex&gt;      hardware record (JSON) of a platform manifest: document, artifacts
 *     pins/&lt;upstream&gt;/&lt;repository...&gt;/_tags/&lt;tag&gt;   a pin made through the admin API (JSON)
 *     images/&lt;namespace&gt;/&lt;repository...&gt;/_at/&lt;alg&gt;/&lt;hex&gt;   a scanned image (or index) a repository holds, with its
 *                                       tags and platforms (JSON): what the hardware catalog is rebuilt from
 *     fleet/members/&lt;id&gt;                a replica's heartbeat and rate-limit view (JSON), in the shared tier only
 *     fleet/hot/&lt;id&gt;                    the blobs a replica served most lately (JSON), in the shared tier only
 * </pre>
 *
 * Repository path components cannot start with {@code _}, so {@code _tags}
 * and {@code _links} never collide with a nested repository.
 */
public final class StorageLayout {

    private StorageLayout() {
    }

    /** Relative path of a blob's content under the disk root. */
    public static Path blobPath(Path root, Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex().substring(0, 2)).resolve(digest.hex());
    }

    public static Path spoolDir(Path root) {
        return root.resolve("spool");
    }

    /** The buckets this data directory's hosted records were copied to, once each (see {@code registry.HostedSeed}). */
    public static Path seedDone(Path root) {
        return root.resolve("seed").resolve("done");
    }

    /** What a seed not yet done has settled, so that its next attempt never writes those records again. */
    public static Path seedJournal(Path root) {
        return root.resolve("seed").resolve("journal");
    }

    public static Path metaDir(Path root) {
        return root.resolve("meta");
    }

    /** Metadata key of a manifest's bytes. */
    public static String manifestKey(Digest digest) {
        return "manifests/" + digest.algorithm() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex();
    }

    /** Metadata key prefix of everything known about one repository of one upstream. */
    public static String repositoryKey(String namespace, RepositoryName repository) {
        return "repositories/" + namespace + "/" + repository;
    }

    /** Metadata key of a tag record. The tag must have been validated. */
    public static String tagKey(String namespace, RepositoryName repository, String tag) {
        return repositoryKey(namespace, repository) + "/_tags/" + tag;
    }

    /** Metadata key prefix under which a repository's tag records live. */
    public static String tagsPrefix(String namespace, RepositoryName repository) {
        return repositoryKey(namespace, repository) + "/_tags/";
    }

    /** Metadata key prefix of the referrers of {@code subject} in a repository. */
    public static String referrersPrefix(String namespace, RepositoryName repository, Digest subject) {
        return repositoryKey(namespace, repository) + "/_referrers/" + subject.algorithm() + "/" + subject.hex() + "/";
    }

    /** Metadata key of one referrer record. */
    public static String referrerKey(String namespace, RepositoryName repository, Digest subject, Digest referrer) {
        return referrersPrefix(namespace, repository, subject) + referrer.algorithm() + ":" + referrer.hex();
    }

    /** Metadata key of the scanner's findings for a layer. */
    public static String scanKey(Digest layer) {
        return "scans/" + layer.algorithm() + "/" + layer.hex().substring(0, 2) + "/" + layer.hex();
    }

    /** Metadata key of the hardware record of a platform manifest. */
    public static String hardwareKey(Digest manifest) {
        return "hardware/" + manifest.algorithm() + "/" + manifest.hex().substring(0, 2) + "/" + manifest.hex();
    }

    /** Metadata key of the hardware catalog's record of an image (or index) {@code digest} that a repository holds. */
    public static String imageKey(String namespace, RepositoryName repository, Digest digest) {
        return IMAGES_PREFIX + namespace + "/" + repository + "/_at/" + digest.algorithm() + "/" + digest.hex();
    }

    /** Metadata key prefix of every {@link #imageKey}. */
    public static final String IMAGES_PREFIX = "images/";

    /** Metadata key marking that a hosted repository exists, for the catalog. */
    public static String catalogKey(RepositoryName repository) {
        return "catalog/" + repository + "/_repo";
    }

    /** Metadata key of when a client last got a manifest of the repository. */
    public static String pulledKey(String namespace, RepositoryName repository) {
        return repositoryKey(namespace, repository) + "/_pulled";
    }

    /** Metadata key prefix under which every pin made through the admin API lives. */
    public static final String PINS_PREFIX = "pins/";

    /** Metadata key of a pin made through the admin API. The tag must have been validated. */
    /** Heartbeats of the replicas sharing a bucket: one record per replica. */
    public static final String FLEET_MEMBERS_PREFIX = "fleet/members/";

    /** @param id a replica's fleet id (letters, digits, '.', '_', '-') */
    public static String fleetMemberKey(String id) {
        return FLEET_MEMBERS_PREFIX + id;
    }

    /** The hot lists of the replicas sharing a bucket: one per replica, read by a replica warming up. */
    public static final String FLEET_HOT_PREFIX = "fleet/hot/";

    /** @param id a replica's fleet id (letters, digits, '.', '_', '-') */
    public static String fleetHotKey(String id) {
        return FLEET_HOT_PREFIX + id;
    }

    public static String pinKey(String namespace, RepositoryName repository, String tag) {
        return PINS_PREFIX + namespace + "/" + repository + "/_tags/" + tag;
    }

    /** Metadata key of a link: the repository may serve this digest. */
    public static String linkKey(String namespace, RepositoryName repository, Digest digest) {
        return repositoryKey(namespace, repository) + "/_links/" + digest.algorithm() + "/" + digest.hex();
    }
}
