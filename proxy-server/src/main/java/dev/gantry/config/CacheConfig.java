package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * How long answers are trusted.
 *
 * @param tagTtl a tag is revalidated upstream (with HEAD) once older than this
 * @param notFoundTtl an upstream 404 for a tag or blob is remembered this long
 * @param manifestMemory bytes of manifests and tag entries kept in memory
 * @param uploadExpiry an upload session (push) idle this long is discarded
 * @param pins images kept whatever the cache's size, and how often they are revalidated
 * @param entries how many entries each in-memory index of the registry keeps at most
 */
public record CacheConfig(
        @JsonProperty("tagTtl") Duration tagTtl,
        @JsonProperty("notFoundTtl") Duration notFoundTtl,
        @JsonProperty("manifestMemory") ByteSize manifestMemory,
        @JsonProperty("uploadExpiry") Duration uploadExpiry,
        @JsonProperty("pins") PinsConfig pins,
        @JsonProperty("entries") Entries entries) {

    public CacheConfig {
        tagTtl = tagTtl != null ? tagTtl : Duration.ofSeconds(60);
        notFoundTtl = notFoundTtl != null ? notFoundTtl : Duration.ofSeconds(10);
        manifestMemory = manifestMemory != null ? manifestMemory : ByteSize.ofMebibytes(32);
        uploadExpiry = uploadExpiry != null ? uploadExpiry : Duration.ofHours(1);
        pins = pins != null ? pins : new PinsConfig(null, null);
        entries = entries != null ? entries : new Entries(null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null);
    }

    /**
     * Entry counts of the registry's in-memory indexes (Caffeine, least
     * recently used first out); each only bounds memory, the data stays on disk
     * or is asked for again. Zero or less means the default.
     *
     * @param layerTypes layers whose media type is known (the scanner scans only those)
     * @param servedManifests manifests remembered as served recently, so their layers are noted once
     * @param tags tag records held in memory
     * @param repositoryLinks which blobs each repository holds, as last read
     * @param notFound upstream 404s remembered (blobs; tags and manifests), for {@code notFoundTtl}
     * @param referrers upstream referrers listings remembered, for {@code tagTtl}
     * @param lastPulls repositories whose last pull (admin listing) or last change (prefetch) is held
     * @param prefetched blobs prefetched and not yet asked for (prefetch's used/wasted count)
     * @param hardwareRecords hardware records (an image's findings) held in memory
     * @param hardwareAsked hosted images whose hardware document someone asked for (their referrers list it)
     * @param scanFollowed manifests the hardware catalog followed lately, and index platforms it remembers (each)
     * @param scanPending image manifests waiting for their layers' scans
     * @param failedLogins clients whose failed logins of the last minute are counted
     * @param promotions disk hits offered to the memory tier lately (one offer per blob per 30 s)
     * @param artifactLinks repositories whose hardware artifacts for a manifest are known stored and linked
     * @param s3Sizes blob sizes the S3 tier read lately (each trusted for 10 minutes)
     * @param s3Touched blobs whose S3 access marker this replica wrote today
     */
    public record Entries(
            @JsonProperty("layerTypes") Long layerTypes,
            @JsonProperty("servedManifests") Long servedManifests,
            @JsonProperty("tags") Long tags,
            @JsonProperty("repositoryLinks") Long repositoryLinks,
            @JsonProperty("notFound") Long notFound,
            @JsonProperty("referrers") Long referrers,
            @JsonProperty("lastPulls") Long lastPulls,
            @JsonProperty("prefetched") Long prefetched,
            @JsonProperty("hardwareRecords") Long hardwareRecords,
            @JsonProperty("hardwareAsked") Long hardwareAsked,
            @JsonProperty("scanFollowed") Long scanFollowed,
            @JsonProperty("scanPending") Long scanPending,
            @JsonProperty("failedLogins") Long failedLogins,
            @JsonProperty("promotions") Long promotions,
            @JsonProperty("artifactLinks") Long artifactLinks,
            @JsonProperty("s3Sizes") Long s3Sizes,
            @JsonProperty("s3Touched") Long s3Touched) {

        public Entries {
            layerTypes = orDefault(layerTypes, 200_000);
            servedManifests = orDefault(servedManifests, 50_000);
            tags = orDefault(tags, 50_000);
            repositoryLinks = orDefault(repositoryLinks, 100_000);
            notFound = orDefault(notFound, 100_000);
            referrers = orDefault(referrers, 50_000);
            lastPulls = orDefault(lastPulls, 100_000);
            prefetched = orDefault(prefetched, 200_000);
            hardwareRecords = orDefault(hardwareRecords, 20_000);
            hardwareAsked = orDefault(hardwareAsked, 100_000);
            scanFollowed = orDefault(scanFollowed, 100_000);
            scanPending = orDefault(scanPending, 10_000);
            failedLogins = orDefault(failedLogins, 100_000);
            promotions = orDefault(promotions, 100_000);
            artifactLinks = orDefault(artifactLinks, 100_000);
            s3Sizes = orDefault(s3Sizes, 200_000);
            s3Touched = orDefault(s3Touched, 200_000);
        }

        private static Long orDefault(Long value, long fallback) {
            return value == null || value <= 0 ? fallback : value;
        }
    }
}
