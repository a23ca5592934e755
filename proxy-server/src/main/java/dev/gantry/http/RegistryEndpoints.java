package dev.gantry.http;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.registry.BlobResult;
import dev.gantry.registry.BlobService;
import dev.gantry.registry.CacheOutcome;
import dev.gantry.registry.CatalogService;
import dev.gantry.registry.ManifestResult;
import dev.gantry.registry.ManifestService;
import dev.gantry.registry.ReferrerService;
import dev.gantry.registry.Registry;
import dev.gantry.registry.Repository;
import dev.gantry.registry.RepositoryResolver;
import dev.gantry.registry.TagService;
import dev.gantry.upstream.PeerFetch;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/** The pull side of the distribution API: manifests, blobs, tags. */
final class RegistryEndpoints {

    /** What a replica asking the owner for a blob says it is a layer of (upstream's {@code PeerFetch} sends it). */
    private static final String PEER_LAYER_TYPE = "Gantry-Layer-Type";

    private final Registry registry;
    private final RepositoryResolver resolver;
    private final ManifestService manifests;
    private final BlobService blobs;
    private final TagService tags;
    private final ReferrerService referrers;
    private final CatalogService catalog;
    private final GantryMetrics metrics;

    RegistryEndpoints(Registry registry, GantryMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.registry = registry;
        this.resolver = registry.resolver();
        this.manifests = registry.manifests();
        this.blobs = registry.blobs();
        this.tags = registry.tags();
        this.referrers = registry.referrers();
        this.catalog = registry.catalog();
    }

    String hostedPrefixes() {
        return resolver.hostedPrefixes();
    }

    /** A repository the catalog lists, as a request without {@code ns} names it. */
    Repository listed(String name) {
        return resolver.resolve(name, null);
    }

    /** The repository a request names; an {@code ns} that selected the upstream is echoed in the response. */
    Repository resolve(Exchange ex, String rawName) {
        String ns = ex.param("ns");
        Repository repo = resolver.resolve(rawName, ns);
        if (ns != null && !ns.isEmpty()) {
            ex.namespace(ns);
        }
        return repo;
    }

    void manifest(Exchange ex, Repository repo, Reference reference) {
        manifests.get(repo, reference, accepted(ex)).whenComplete((m, error) -> {
            if (error != null) {
                ex.fail(error);
                return;
            }
            ex.outcome(label(m.outcome()), m.staleReason() == null ? null : "stale=" + m.staleReason());
            metrics.cacheOutcome("manifest", label(m.outcome()));
            if (m.staleReason() != null) {
                metrics.staleServe(m.staleReason());
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(m.body()));
            try {
                response.headers()
                        .set(HttpHeaderNames.CONTENT_TYPE, m.mediaType())
                        .set(HttpHeaderNames.CONTENT_LENGTH, m.body().length)
                        .set("Docker-Content-Digest", m.digest().toString())
                        .set(HttpHeaderNames.ETAG, "\"" + m.digest() + "\"");
                stale(response, m);
            } catch (RuntimeException e) {
                // A header value Netty refuses (a media type stored before media types were checked): an error,
                // not a request left unanswered.
                response.release();
                ex.fail(e);
                return;
            }
            ex.respond(response);
        });
    }

    /** A blob for another replica of the fleet, which may say it is a layer (and of what type): then this fill scans it. */
    void peerBlob(Exchange ex, Repository repo, Digest digest) {
        String layerType = ex.request().headers().get(PEER_LAYER_TYPE);
        if (layerType != null) {
            registry.layerNamedByPeer(digest, layerType);
        }
        blob(ex, repo, digest);
    }

    void blob(Exchange ex, Repository repo, Digest digest) {
        String rangeHeader = ex.request().headers().get(HttpHeaderNames.RANGE);
        blobs.get(repo, digest, ex.isHead()).whenComplete((blob, error) -> {
            if (error != null) {
                ex.fail(error);
                return;
            }
            ex.outcome(label(blob.outcome()), null);
            metrics.cacheOutcome("blob", label(blob.outcome()));
            if (blob.outcome() == CacheOutcome.JOINED) {
                metrics.fillJoined();
            }
            try {
                sendBlob(ex, blob, rangeHeader);
            } catch (RuntimeException e) {
                ex.fail(e);
            }
        });
    }

    private static void sendBlob(Exchange ex, BlobResult blob, String rangeHeader) {
        long size = blob.size();
        List<ByteRange> ranges = ex.isHead() ? List.of() : ByteRange.parse(rangeHeader, size);
        HttpHeaders blobHeaders = new DefaultHttpHeaders()
                .set("Docker-Content-Digest", blob.digest().toString())
                .set(HttpHeaderNames.ETAG, "\"" + blob.digest() + "\"")
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes")
                .set(HttpHeaderNames.CACHE_CONTROL, "max-age=31536000");
        if (ranges.size() > 1) {
            MultipartByteRanges.send(ex, blob, ranges, blobHeaders);
            return;
        }
        ByteRange range = ranges.isEmpty() ? null : ranges.get(0);
        long offset = range == null ? 0 : range.start();
        long length = range == null ? size : range.length();
        HttpResponse response = ResponseWriter.head(range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT,
                length, "application/octet-stream");
        response.headers().add(blobHeaders);
        if (range != null) {
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(size));
        }
        if (ex.isHead() || length == 0) {
            ex.respond(fullOf(response));
            return;
        }
        blob.open(offset, length).whenComplete((content, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(response, content);
            }
        });
    }

    void tags(Exchange ex, Repository repo, String rawName) {
        Integer n = Pagination.pageSize(ex.param("n"));
        String last = ex.param("last");
        tags.list(repo, n, last).whenComplete((page, error) -> {
            if (error != null) {
                ex.fail(error);
                return;
            }
            ex.outcome(label(page.outcome()), null);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", page.name());
            body.put("tags", page.tags());
            FullHttpResponse response = Responses.json(HttpResponseStatus.OK, body);
            if (page.next() != null) {
                response.headers().set("Link", Pagination.nextLink(ex, "/v2/" + rawName + "/tags/list", n, page.next()));
            }
            ex.respond(response);
        });
    }

    /** {@code GET /v2/<name>/referrers/<digest>}: always an index, filtered by {@code artifactType} on request. */
    void referrers(Exchange ex, Repository repo, Digest subject) {
        String given = ex.param("artifactType");
        // Empty: no filter. A media type holds no space, so one here was a '+' (vnd.cyclonedx+json) written
        // unescaped, which form decoding turned into a space.
        String artifactType = given == null || given.isEmpty() ? null : given.replace(' ', '+');
        referrers.list(repo, subject, artifactType).whenComplete((r, error) -> {
            if (error != null) {
                ex.fail(error);
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(r.index()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, MediaTypes.OCI_INDEX)
                    .set(HttpHeaderNames.CONTENT_LENGTH, r.index().length);
            if (r.filtered()) {
                response.headers().set("OCI-Filters-Applied", "artifactType");
            }
            ex.respond(response);
        });
    }

    /** {@code GET /v2/_catalog}: hosted repositories, paged like tags. */
    void catalog(Exchange ex, Predicate<String> visible) {
        Integer n = Pagination.pageSize(ex.param("n"));
        catalog.list(n, ex.param("last"), visible).whenComplete((page, error) -> {
            if (error != null) {
                ex.fail(error);
                return;
            }
            FullHttpResponse response = Responses.json(HttpResponseStatus.OK, Map.of("repositories", page.repositories()));
            if (page.next() != null) {
                response.headers().set("Link", Pagination.nextLink(ex, "/v2/_catalog", n, page.next()));
            }
            ex.respond(response);
        });
    }

    /** Media types from every {@code Accept} header, without parameters. */
    static List<String> accepted(Exchange ex) {
        List<String> out = new ArrayList<>();
        for (String header : ex.request().headers().getAll(HttpHeaderNames.ACCEPT)) {
            for (String part : header.split(",")) {
                int semi = part.indexOf(';');
                String type = (semi < 0 ? part : part.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
                if (!type.isEmpty()) {
                    out.add(type);
                }
            }
        }
        return out;
    }

    private static void stale(HttpResponse response, ManifestResult m) {
        if (m.staleReason() != null) {
            response.headers().set(PeerFetch.STALE, m.staleReason());
            response.headers().set(HttpHeaderNames.WARNING, "110 gantry \"Response is Stale\"");
        }
    }

    static String label(CacheOutcome outcome) {
        return outcome.name().toLowerCase(Locale.ROOT);
    }

    private static FullHttpResponse fullOf(HttpResponse head) {
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, head.status(), Unpooled.EMPTY_BUFFER);
        full.headers().set(head.headers());
        return full;
    }
}
