package dev.gantry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Last access per blob in the shared bucket, as day-stamped marker keys
 * ({@code access/<alg>/<hex>/<epochDay>}): at most one write per blob per
 * day per replica, so a retention sweep can tell from one listing which
 * blobs nobody has read for a while. Also the bucket listing helpers the S3
 * tier shares with it.
 */
final class S3AccessMarkers {

    private final S3Bucket bucket;
    private final Clock clock;
    private final Cache<Digest, Long> touchedDay;

    /** @param touched how many blobs' last marker day is remembered at most */
    S3AccessMarkers(S3Bucket bucket, Clock clock, long touched) {
        this.bucket = bucket;
        this.clock = clock;
        this.touchedDay = Caffeine.newBuilder().maximumSize(touched).build();
    }

    static String accessPrefix(Digest d) {
        return "access/" + d.algorithm() + "/" + d.hex() + "/";
    }

    /** Records a read today, unless this replica already did (or knows another did: {@link #touchedElsewhere}). */
    CompletableFuture<Void> touch(Digest digest) {
        long day = Duration.ofMillis(clock.millis()).toDays();
        Long last = touchedDay.getIfPresent(digest);
        if (last != null && last == day) {
            return CompletableFuture.completedFuture(null);
        }
        touchedDay.put(digest, day);
        return bucket.client().putObject(b -> b.bucket(bucket.bucket()).key(bucket.key(accessPrefix(digest) + day)),
                AsyncRequestBody.empty()).<Void>thenApply(r -> null).whenComplete((v, e) -> {
                    if (e != null) {
                        touchedDay.asMap().remove(digest, day); // not marked after all: the next read tries again
                    }
                });
    }

    /** Records that the blob's object was written at {@code at}, with a marker of that day: none is written that day. */
    void writtenOn(Digest digest, java.time.Instant at) {
        long day = Duration.ofMillis(at.toEpochMilli()).toDays();
        if (day == Duration.ofMillis(clock.millis()).toDays()) {
            touchedDay.put(digest, day);
        }
    }

    /** Records that another replica wrote today's marker of {@code digest}: this one writes none today. */
    void touchedElsewhere(Digest digest) {
        touchedDay.put(digest, Duration.ofMillis(clock.millis()).toDays());
    }

    /** Removes every marker of a deleted blob. */
    CompletableFuture<Void> forget(Digest digest) {
        touchedDay.invalidate(digest);
        return deleteKeys(listKeys(accessPrefix(digest)));
    }

    /** The last recorded access of every digest, from one listing of the markers. Blocks. */
    Map<Digest, Instant> lastAccess() {
        Map<Digest, Instant> out = new HashMap<>();
        lastDays().forEach((rel, day) -> {
            try {
                out.put(Digest.parse(rel.replace('/', ':')), dayStart(day));
            } catch (RegistryException ignored) {
                // Not ours.
            }
        });
        return out;
    }

    /** The last recorded access of one digest, from a listing of its markers now; null when it has none. Blocks. */
    Instant lastAccess(Digest digest) {
        long last = -1;
        for (String key : listKeys(accessPrefix(digest))) {
            try {
                last = Math.max(last, Long.parseLong(key.substring(key.lastIndexOf('/') + 1)));
            } catch (NumberFormatException ignored) {
                // Not ours.
            }
        }
        return last < 0 ? null : dayStart(last);
    }

    static Instant dayStart(long epochDay) {
        return Instant.ofEpochSecond(Duration.ofDays(epochDay).toSeconds());
    }

    /** Latest marked day per {@code <alg>/<hex>}. Blocks. */
    Map<String, Long> lastDays() {
        Map<String, Long> lastDay = new HashMap<>();
        for (S3Object o : listObjects("access/")) {
            String rel = o.key().substring(bucket.prefix().length() + "access/".length());
            int slash = rel.lastIndexOf('/');
            if (slash > 0) {
                try {
                    lastDay.merge(rel.substring(0, slash), Long.parseLong(rel.substring(slash + 1)), Math::max);
                } catch (NumberFormatException ignored) {
                    // Not ours.
                }
            }
        }
        return lastDay;
    }

    /** Removes a digest's markers older than the newest, keeping the listing small. Blocks. */
    void prune(Digest digest) {
        List<String> keys = new ArrayList<>(listKeys(accessPrefix(digest)));
        if (keys.size() > 1) {
            keys.sort(String::compareTo);
            deleteKeys(keys.subList(0, keys.size() - 1)).join();
        }
    }

    /** Every object under a prefix relative to the bucket's. Blocks. */
    List<S3Object> listObjects(String relativePrefix) {
        List<S3Object> out = new ArrayList<>();
        bucket.client().listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket.bucket())
                .prefix(bucket.key(relativePrefix)).build()).contents().subscribe(out::add).join();
        return out;
    }

    /**
     * The marker keys under a prefix: not the directory keys some S3 implementations list (S3Proxy's
     * filesystem backend does), whose delete, while they still hold markers, stalls 10 s there.
     */
    private List<String> listKeys(String relativePrefix) {
        return listObjects(relativePrefix).stream().map(S3Object::key).filter(k -> !k.endsWith("/")).toList();
    }

    private CompletableFuture<Void> deleteKeys(List<String> keys) {
        CompletableFuture<?>[] all = keys.stream()
                .map(k -> bucket.client().deleteObject(b -> b.bucket(bucket.bucket()).key(k)))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(all);
    }
}
