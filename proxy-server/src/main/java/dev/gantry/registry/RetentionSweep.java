package dev.gantry.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.S3BlobStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.storage.StoredBlob;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes from the shared S3 tier what nobody needs: blobs not read for
 * {@code storage.s3.retention} that no retained manifest references.
 * Retained manifests are those a tag points at, and those read within the
 * retention, with everything an index among them names. Manifests neither
 * tagged nor read within the retention go too. Deletions are idempotent, so
 * replicas sweeping at the same time do no harm beyond repeated listings.
 *
 * <p>A sweep takes minutes on a big bucket, and pushes and pulls go on
 * meanwhile: what it found at its start is checked again before anything
 * goes. The hosted links are listed again just before the deletions (a push
 * during the sweep linked a blob the bucket already held, or a manifest), and
 * each blob's or manifest's access markers are read again just before its
 * own delete (a pull or push today wrote one).
 */
public final class RetentionSweep {

    private static final Logger log = LoggerFactory.getLogger(RetentionSweep.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    /** What a sweep did. */
    public record Result(int blobsKept, int blobsRemoved, long bytesRemoved, int manifestsRemoved, int uploadsAborted,
                         int markersForgotten) {
    }

    private final S3BlobStore s3;
    private final MetadataStore meta;
    private final Duration retention;
    private final Clock clock;

    /** @param meta the bucket's own metadata store (what every replica sees), not a tiered one */
    public RetentionSweep(S3BlobStore s3, MetadataStore meta, Duration retention, Clock clock) {
        this.s3 = s3;
        this.meta = meta;
        this.retention = retention;
        this.clock = clock;
    }

    /** Runs one sweep. Blocks (listings and deletes); run it on a maintenance thread. */
    public Result sweep() throws IOException {
        Instant cutoff = clock.instant().minus(retention);
        Map<Digest, Instant> access = s3.lastAccess();

        Set<Digest> retained = new HashSet<>();
        Deque<Digest> toVisit = new ArrayDeque<>();
        Set<Digest> hostedContent = new HashSet<>();
        for (String key : meta.listRecursive("repositories/")) {
            if (key.contains("/_tags/")) {
                meta.get("repositories/" + key).flatMap(RetentionSweep::tagDigest).ifPresent(toVisit::add);
            } else if (key.startsWith(Repository.HOSTED_NAMESPACE + "/") && key.contains("/_links/")) {
                // Pushed content exists nowhere else: retention never applies to it.
                String rest = key.substring(key.indexOf("/_links/") + "/_links/".length());
                try {
                    Digest d = Digest.parse(rest.replace('/', ':'));
                    hostedContent.add(d);
                    toVisit.add(d);
                } catch (RegistryException ignored) {
                    // Not a link.
                }
            }
        }
        Set<Digest> allManifests = new HashSet<>();
        for (String key : meta.listRecursive("manifests/")) {
            Digest d = manifestDigest(key);
            if (d != null) {
                allManifests.add(d);
                if (recent(access.get(d), cutoff)) {
                    toVisit.add(d);
                }
            }
        }
        Set<Digest> referenced = new HashSet<>();
        while (!toVisit.isEmpty()) {
            Digest d = toVisit.poll();
            if (!retained.add(d)) {
                continue;
            }
            Optional<Manifest> m = readManifest(d);
            if (m.isEmpty()) {
                continue;
            }
            for (Descriptor b : m.get().blobs()) {
                referenced.add(b.parsedDigest());
            }
            for (Descriptor child : m.get().manifests()) {
                toVisit.add(child.parsedDigest());
            }
        }

        int kept = 0;
        int removed = 0;
        long bytes = 0;
        hostedContent.addAll(hostedLinks()); // what pushes linked since the first listing
        Set<Digest> blobsListed = new HashSet<>();
        for (StoredBlob blob : s3.list()) {
            blobsListed.add(blob.digest());
            Instant last = latest(access.get(blob.digest()), blob.lastAccess());
            if (referenced.contains(blob.digest()) || hostedContent.contains(blob.digest()) || recent(last, cutoff)
                    || recent(s3.lastAccess(blob.digest()), cutoff)) {
                kept++;
                s3.pruneMarkers(blob.digest());
                continue;
            }
            if (s3.delete(blob.digest()).join()) {
                removed++;
                bytes += blob.size();
            }
        }
        int manifestsRemoved = 0;
        for (Digest d : allManifests) {
            if (!retained.contains(d) && !hostedContent.contains(d) && !recent(s3.lastAccess(d), cutoff)) {
                meta.delete(StorageLayout.manifestKey(d));
                s3.forgetMarkers(d);
                manifestsRemoved++;
            } else if (access.containsKey(d)) {
                s3.pruneMarkers(d); // one marker per day read: the newest is all a sweep needs
            }
        }
        // Markers of what the bucket no longer holds (a manifest or blob deleted without them, a read of a
        // digest never stored there), old enough that nothing wrote one since: each sweep listed them all again.
        int markersForgotten = 0;
        for (Map.Entry<Digest, Instant> e : access.entrySet()) {
            Digest d = e.getKey();
            if (!blobsListed.contains(d) && !allManifests.contains(d) && !recent(e.getValue(), cutoff)
                    && !recent(s3.lastAccess(d), cutoff)) {
                s3.forgetMarkers(d);
                markersForgotten++;
            }
        }
        int aborted = s3.abortStaleUploads(clock.instant().minus(Duration.ofDays(1)));
        Result result = new Result(kept, removed, bytes, manifestsRemoved, aborted, markersForgotten);
        log.info("S3 retention sweep (retention {}): removed {} blobs ({} bytes) and {} manifests unread since {}; kept {} blobs; "
                + "aborted {} stale uploads; forgot the access markers of {} digests no longer there", retention, removed, bytes,
                manifestsRemoved, cutoff, kept, aborted, markersForgotten);
        return result;
    }

    /** The digests hosted repositories link now. Blocks. */
    private Set<Digest> hostedLinks() throws IOException {
        Set<Digest> out = new HashSet<>();
        for (String key : meta.listRecursive("repositories/" + Repository.HOSTED_NAMESPACE + "/")) {
            int at = key.indexOf("/_links/");
            if (at >= 0) {
                try {
                    out.add(Digest.parse(key.substring(at + "/_links/".length()).replace('/', ':')));
                } catch (RegistryException ignored) {
                    // Not a link.
                }
            }
        }
        return out;
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    private static boolean recent(Instant last, Instant cutoff) {
        return last != null && !last.isBefore(cutoff);
    }

    private Optional<Manifest> readManifest(Digest d) throws IOException {
        Optional<byte[]> record = meta.get(StorageLayout.manifestKey(d));
        if (record.isEmpty()) {
            return Optional.empty();
        }
        return ManifestStore.decode(d, record.get()).flatMap(m -> {
            try {
                return Optional.of(Manifest.parse(m.body(), m.mediaType()));
            } catch (RegistryException e) {
                return Optional.empty();
            }
        });
    }

    private static Optional<Digest> tagDigest(byte[] record) {
        try {
            return Optional.of(JSON.readValue(record, TagRecord.class).parsedDigest());
        } catch (IOException | RegistryException e) {
            return Optional.empty();
        }
    }

    /** {@code <alg>/<hh>/<hex>} (under {@code manifests/}) → digest, or null. */
    private static Digest manifestDigest(String key) {
        String[] parts = key.split("/");
        if (parts.length != 3) {
            return null;
        }
        try {
            return Digest.parse(parts[0] + ":" + parts[2]);
        } catch (RegistryException e) {
            return null;
        }
    }
}
