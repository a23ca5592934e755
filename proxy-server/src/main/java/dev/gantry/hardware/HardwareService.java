package dev.gantry.hardware;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.config.CacheConfig;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.ArtifactPort;
import dev.gantry.registry.ManifestResult;
import dev.gantry.registry.ManifestService;
import dev.gantry.registry.Repository;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an image needs, without anyone pulling it. For each platform manifest:
 * its layers' findings (scanned once per layer, fetched once through the
 * normal fill path when Gantry has never seen them), merged with the config
 * into a {@link HardwareDocument}; kept per manifest with the referrer
 * artifacts made from it. A query for an image costs upstream at most one GET
 * per manifest and per blob, and nothing when it (or its layers) was seen before.
 */
public final class HardwareService {

    private static final Logger log = LoggerFactory.getLogger(HardwareService.class);

    /**
     * One platform's document, with the platform manifest it describes.
     *
     * @param fromIndex whether the reference asked about named an index
     */
    public record PlatformDocument(Descriptor manifest, HardwareDocument document, boolean fromIndex) {
    }

    /** Whether these documents answer a reference to an index (then they are listed, even one). */
    public boolean wasIndex(List<PlatformDocument> docs) {
        return !docs.isEmpty() && docs.get(0).fromIndex();
    }

    private final ManifestService manifests;
    private final ArtifactPort blobs;
    private final LayerScans scans;
    private final ImageAnalyzer analyzer;
    private final MetadataStore meta;
    private final Executor blocking;
    private final Clock clock;
    private final ObjectMapper json = HardwareJson.mapper();
    private final Cache<Digest, HardwareRecord> records;
    private final Map<Digest, CompletableFuture<HardwareRecord>> inFlight = new ConcurrentHashMap<>();
    private final List<BiConsumer<Digest, HardwareDocument>> recorded = new CopyOnWriteArrayList<>();
    private final IndexReferrers indexReferrers;
    private final StoredArtifacts stored;

    /**
     * @param artifacts how it reads whole blobs and stores the artifacts it makes: never a tier
     * @param sizes {@code hardwareRecords}, {@code hardwareAsked} and {@code artifactLinks} bound its in-memory caches
     */
    public HardwareService(ManifestService manifests, ArtifactPort artifacts, LayerScans scans, ImageAnalyzer analyzer,
                           MetadataStore meta, Executor blocking, Clock clock, CacheConfig.Entries sizes) {
        this.records = Caffeine.newBuilder().maximumSize(sizes.hardwareRecords()).build();
        this.askedInHosted = Caffeine.newBuilder().maximumSize(sizes.hardwareAsked()).build();
        this.manifests = manifests;
        this.scans = scans;
        this.analyzer = analyzer;
        this.meta = meta;
        this.blocking = blocking;
        this.clock = clock;
        this.blobs = artifacts;
        this.indexReferrers = new IndexReferrers(manifests, this);
        this.stored = new StoredArtifacts(artifacts, sizes.artifactLinks());
    }

    /** Told of each platform manifest's document once it is made or read back (the catalog lists it). */
    void onRecorded(BiConsumer<Digest, HardwareDocument> listener) {
        recorded.add(listener);
    }

    /**
     * The documents of every platform {@code reference} names (one for an
     * image manifest; one per image platform of an index, or only those
     * matching {@code platform}).
     */
    public CompletableFuture<List<PlatformDocument>> documents(Repository repo, Reference reference, Platform platform) {
        return manifests.get(repo, reference, List.of()).thenCompose(m -> {
            Manifest parsed = Manifest.parse(m.body(), m.mediaType());
            if (!parsed.isIndex()) {
                Descriptor self = new Descriptor(m.mediaType(), m.digest(), m.body().length);
                return forManifest(repo, self, m, null, false).thenApply(d -> List.of(d));
            }
            List<Descriptor> entries = new ArrayList<>();
            for (Descriptor d : parsed.manifests()) {
                if (d.platform() != null && MediaTypes.isImageManifest(d.mediaType()) && !"unknown".equals(d.platform().os())
                        && (platform == null || d.platform().satisfies(platform))) {
                    entries.add(d);
                }
            }
            if (entries.isEmpty()) {
                return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                        platform != null ? "the index has no " + platform + " image" : "the index lists no image manifests"));
            }
            List<CompletableFuture<PlatformDocument>> all = new ArrayList<>();
            for (Descriptor d : entries) {
                all.add(manifests.get(repo, Reference.of(d.parsedDigest()), List.of())
                        .thenCompose(child -> forManifest(repo, d, child, d.platform(), true)));
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                    .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
        });
    }

    /** The document of one platform manifest, from memory, the store, or a merge of its layers' findings. */
    private CompletableFuture<PlatformDocument> forManifest(Repository repo, Descriptor self, ManifestResult m, Platform platform,
                                                            boolean fromIndex) {
        if (repo.isHosted()) {
            askedInHosted.put(repo + "@" + m.digest(), Boolean.TRUE);
        }
        return record(repo, self, m, platform).thenApply(r -> new PlatformDocument(self, r.document(), fromIndex));
    }

    CompletableFuture<HardwareRecord> record(Repository repo, Descriptor self, ManifestResult m, Platform platform) {
        Digest digest = m.digest();
        HardwareRecord hot = records.getIfPresent(digest);
        if (hot != null && current(hot)) {
            return CompletableFuture.completedFuture(hot);
        }
        CompletableFuture<HardwareRecord> mine = new CompletableFuture<>();
        CompletableFuture<HardwareRecord> existing = inFlight.putIfAbsent(digest, mine);
        if (existing != null) {
            return existing;
        }
        stored(digest).thenCompose(found -> found.isPresent() && current(found.get())
                        ? CompletableFuture.completedFuture(found.get())
                        : build(repo, self, m, platform))
                .thenCompose(r -> stored.ensure(repo, r).thenApply(v -> r))
                .whenComplete((r, e) -> {
                    inFlight.remove(digest, mine);
                    if (e != null) {
                        mine.completeExceptionally(e);
                    } else {
                        records.put(digest, r);
                        mine.complete(r);
                        recorded.forEach(l -> l.accept(digest, r.document()));
                    }
                });
        return mine;
    }

    private boolean current(HardwareRecord r) {
        return LayerScanner.VERSION.equals(r.scanner()) && scans.scanner().knowledgeBase().version().equals(r.knowledgeBase());
    }

    /**
     * Whether {@code repo} holds a manifest Gantry holds (linked, or confirmed by its upstream with a HEAD, then
     * linked); never fetches one.
     */
    CompletableFuture<Boolean> holds(Repository repo, Digest manifest) {
        return manifests.holds(repo, manifest);
    }

    /** The record of a platform manifest if one is kept and current; never scans. */
    CompletableFuture<Optional<HardwareRecord>> currentRecord(Digest manifest) {
        HardwareRecord hot = records.getIfPresent(manifest);
        if (hot != null && current(hot)) {
            return CompletableFuture.completedFuture(Optional.of(hot));
        }
        return stored(manifest).thenApply(r -> r.filter(this::current));
    }

    private CompletableFuture<Optional<HardwareRecord>> stored(Digest manifest) {
        return CompletableFuture.supplyAsync(() -> storedNow(manifest), blocking);
    }

    /** The stored record of a platform manifest, whatever its version. Blocks. */
    Optional<HardwareRecord> storedNow(Digest manifest) {
        try {
            Optional<byte[]> bytes = meta.get(StorageLayout.hardwareKey(manifest));
            return bytes.isEmpty() ? Optional.empty() : Optional.of(json.readValue(bytes.get(), HardwareRecord.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The stored document of a platform manifest if current. Blocks. */
    Optional<HardwareDocument> currentDocumentNow(Digest manifest) {
        return storedNow(manifest).filter(this::current).map(HardwareRecord::document);
    }

    /** Scans what is missing, merges, makes the artifacts, and keeps the record. */
    private CompletableFuture<HardwareRecord> build(Repository repo, Descriptor self, ManifestResult m, Platform platform) {
        Manifest parsed = Manifest.parse(m.body(), m.mediaType());
        if (parsed.config() == null) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_INVALID, "not an image manifest: " + m.digest()));
        }
        List<CompletableFuture<LayerFindings>> layers = new ArrayList<>();
        for (Descriptor layer : parsed.layers()) {
            Digest d = layer.parsedDigest();
            layers.add(scans.findings(d, layer.mediaType(), () -> blobs.blobFile(repo, d)));
        }
        CompletableFuture<byte[]> config = blobs.blobFile(repo, parsed.config().parsedDigest())
                .thenApplyAsync(path -> {
                    try {
                        return Files.readAllBytes(path);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, blocking);
        return CompletableFuture.allOf(layers.toArray(CompletableFuture[]::new)).thenCombine(config, (v, cfg) -> {
            List<LayerFindings> findings = layers.stream().map(CompletableFuture::join).toList();
            ImagePlatform p = platform == null ? null : new ImagePlatform(platform.os(), platform.architecture(), platform.variant());
            HardwareDocument doc = analyzer.analyze(new dev.gantry.schema.Descriptor(self.mediaType(), self.digest(), self.size()),
                    p, cfg, findings);
            String created = clock.instant().toString();
            Artifacts.Built hw = Artifacts.hardware(doc, self, created);
            Artifacts.Built nfd = Artifacts.nfd(doc, self, created);
            HardwareRecord r = new HardwareRecord(doc.scan().knowledgeBase(), doc.scan().scanner(), doc, hw.descriptor(), nfd.descriptor());
            try {
                meta.put(StorageLayout.hardwareKey(m.digest()), json.writeValueAsBytes(r));
            } catch (IOException e) {
                log.warn("cannot keep the hardware record of {}: {}", m.digest(), e.toString());
            }
            stored.built(m.digest(), List.of(hw, nfd));
            return r;
        });
    }

    /** Hosted {@code repo@digest} whose document someone asked for: their referrers list Gantry's artifacts. */
    private final Cache<String, Boolean> askedInHosted;

    /** The artifacts this service stored or will store (index referrers store theirs here too). */
    StoredArtifacts artifacts() {
        return stored;
    }

    /** The augmented view of a manifest or index (see {@link AugmentedView}); completes with its bytes. */
    public CompletableFuture<byte[]> augmented(Repository repo, Reference reference) {
        return manifests.get(repo, reference, List.of()).thenCompose(m -> documents(repo, Reference.of(m.digest()), null)
                .thenApply(docs -> AugmentedView.of(m.body(), m.mediaType(), docs)));
    }

    /**
     * Whether a host can run the image, and how (the paper's hdocker, as a service). Of an index, only the
     * host's platform is judged (and scanned where it was not yet): the others would cost a manifest GET and
     * their layers each, and one of them failing would fail the check.
     */
    public CompletableFuture<Verdict> check(Repository repo, Reference reference, HostProfile host) {
        String image = repo.requestedName() + ":" + reference;
        Platform wanted = host.ociArchitecture() == null ? null : new Platform(host.ociArchitecture(), host.os(), null);
        return manifests.get(repo, reference, List.of()).thenCompose(m -> {
            Manifest parsed = Manifest.parse(m.body(), m.mediaType());
            if (!parsed.isIndex() || wanted == null) {
                return documents(repo, Reference.of(m.digest()), null).thenApply(docs -> Checker.check(image, docs, host));
            }
            List<Descriptor> images = parsed.manifests().stream().filter(d -> d.platform() != null
                    && MediaTypes.isImageManifest(d.mediaType()) && !"unknown".equals(d.platform().os())).toList();
            if (images.stream().noneMatch(d -> d.platform().satisfies(wanted))) {
                return CompletableFuture.completedFuture(Checker.noPlatform(image, host, images.stream()
                        .map(d -> d.platform().os() + "/" + d.platform().architecture()).distinct().toList()));
            }
            return documents(repo, Reference.of(m.digest()), wanted).thenApply(docs -> Checker.check(image, docs, host));
        });
    }

    /** The media type of the augmented view. */
    public static String augmentedMediaType() {
        return AugmentedView.MEDIA_TYPE;
    }

    /**
     * The artifacts to list among the referrers of {@code subject}: those of
     * a platform manifest Gantry has scanned; nothing otherwise (listing
     * referrers never starts a scan). They are stored and linked to
     * {@code repo}: the registry asks only about a subject the repository
     * holds, so the artifacts reach no repository their subject did not.
     *
     * <p>A hosted repository's referrers are what clients pushed: its owners
     * decide what is attached to their images, and the distribution spec's
     * conformance suite counts them. Gantry's artifacts join them only once
     * someone asked for the image's document there (the background scan of a
     * push alone adds nothing); the documents are in search either way.
     */
    public CompletableFuture<List<Descriptor>> referrers(Repository repo, Digest subject) {
        if (repo.isHosted() && askedInHosted.getIfPresent(repo + "@" + subject) == null) {
            return CompletableFuture.completedFuture(List.of());
        }
        HardwareRecord hot = records.getIfPresent(subject);
        CompletableFuture<Optional<HardwareRecord>> found = hot != null
                ? CompletableFuture.completedFuture(Optional.of(hot)) : stored(subject);
        return found.thenCompose(r -> {
            if (r.isEmpty() || !current(r.get())) {
                return indexReferrers.referrers(repo, subject);
            }
            return stored.ensure(repo, r.get()).thenApply(v -> List.of(StoredArtifacts.descriptor(r.get().hardwareArtifact()),
                    StoredArtifacts.descriptor(r.get().nfdArtifact())));
        });
    }
}
