package dev.gantry.http;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.ManifestService;
import dev.gantry.registry.Registry;
import dev.gantry.registry.Repository;
import dev.gantry.registry.UploadService;
import dev.gantry.registry.UploadService.ChunkRange;
import dev.gantry.registry.UploadService.UploadState;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The push and content-management side of the distribution API, for hosted
 * repositories: blob uploads (monolithic, streamed, chunked, cross-repository
 * mounts), manifest pushes, deletes. Request bodies are streamed into the
 * upload with back-pressure; only manifests (at most 4 MiB) are read whole.
 */
final class PushEndpoints {

    private final Registry registry;

    PushEndpoints(Registry registry) {
        this.registry = registry;
    }

    // ---- uploads -------------------------------------------------------------------------------

    /**
     * {@code POST /v2/<name>/blobs/uploads/}: a session, a monolithic upload ({@code digest=}), or a mount.
     *
     * @param from the mount's source when {@code from=} names one the caller may read, else null
     * @param readable for a mount without {@code from=}: which repositories the caller may read
     */
    void startUpload(Exchange ex, Repository repo, Repository from, Predicate<Repository> readable) {
        UploadService uploads = registry.uploads();
        String digestParam = ex.param("digest");
        String mount = ex.param("mount");
        if (digestParam != null) {
            Digest digest = Digest.parse(digestParam);
            uploads.start(repo).whenComplete((state, error) -> {
                if (error != null) {
                    ex.fail(error);
                    return;
                }
                try {
                    finish(ex, repo, state.id(), null, digest);
                } catch (RuntimeException e) {
                    ex.fail(e); // a fault of the store (no room for a spool): an error, not a request left unanswered
                }
            });
            return;
        }
        Digest mountDigest = mount != null ? Digest.parse(mount) : null;
        CompletableFuture<Boolean> mounted;
        if (mountDigest == null) {
            mounted = CompletableFuture.completedFuture(false);
        } else if (from != null) {
            mounted = uploads.mount(repo, mountDigest, from);
        } else if (ex.param("from") == null) {
            // The spec lets a registry find the blob itself when the client names no source.
            mounted = uploads.mountFromAny(repo, mountDigest, readable);
        } else {
            mounted = CompletableFuture.completedFuture(false);
        }
        mounted.thenCompose(ok -> {
            if (ok) {
                ex.respond(created("/v2/" + repo.requestedName() + "/blobs/" + mountDigest, mountDigest.toString()));
                return CompletableFuture.completedFuture(null);
            }
            return uploads.start(repo).thenAccept(state -> ex.respond(uploadStatus(HttpResponseStatus.ACCEPTED, repo, state)));
        }).exceptionally(e -> {
            ex.fail(e);
            return null;
        });
    }

    /** {@code PATCH /v2/<name>/blobs/uploads/<id>}: a chunk, or the whole blob streamed. */
    void appendUpload(Exchange ex, Repository repo, String id) {
        CompletableFuture<UploadState> done = new CompletableFuture<>();
        BodyConsumer sink = registry.uploads().append(repo, id, chunkRange(ex), done);
        ex.readBody(sink);
        done.whenComplete((state, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(uploadStatus(HttpResponseStatus.ACCEPTED, repo, state));
            }
        });
    }

    /** {@code PUT /v2/<name>/blobs/uploads/<id>?digest=}: the last bytes (if any), then commit. */
    void completeUpload(Exchange ex, Repository repo, String id) {
        String digestParam = ex.param("digest");
        if (digestParam == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "completing an upload needs ?digest=<digest>");
        }
        finish(ex, repo, id, chunkRange(ex), Digest.parse(digestParam));
    }

    private void finish(Exchange ex, Repository repo, String id, ChunkRange range, Digest digest) {
        CompletableFuture<Digest> done = new CompletableFuture<>();
        BodyConsumer sink = registry.uploads().complete(repo, id, range, digest, done);
        ex.readBody(sink);
        done.whenComplete((d, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(created("/v2/" + repo.requestedName() + "/blobs/" + d, d.toString()));
            }
        });
    }

    /** {@code GET /v2/<name>/blobs/uploads/<id>}: where the upload stands. */
    void uploadState(Exchange ex, Repository repo, String id) {
        registry.uploads().state(repo, id).whenComplete((state, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(uploadStatus(HttpResponseStatus.NO_CONTENT, repo, state));
            }
        });
    }

    /** {@code DELETE /v2/<name>/blobs/uploads/<id>}. */
    void cancelUpload(Exchange ex, Repository repo, String id) {
        registry.uploads().cancel(repo, id).whenComplete((v, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(empty(HttpResponseStatus.NO_CONTENT));
            }
        });
    }

    // ---- manifests and deletes -----------------------------------------------------------------

    /** {@code PUT /v2/<name>/manifests/<reference>}. */
    void putManifest(Exchange ex, Repository repo, Reference reference) {
        if (!repo.isHosted()) {
            throw Responses.readOnly(repo);
        }
        String contentType = mediaType(ex.request().headers().get(HttpHeaderNames.CONTENT_TYPE));
        // Tags given as parameters are the spec's multi-tag push: by digest only, as a push by tag names its own.
        List<String> tags = reference.isDigest() ? ex.params("tag") : List.of();
        ex.readBodyFully(Manifest.MAX_BYTES)
                .thenCompose(body -> registry.manifests().put(repo, reference, tags, contentType, body))
                .whenComplete((ManifestService.PutResult r, Throwable error) -> {
                    if (error != null) {
                        ex.fail(error);
                        return;
                    }
                    FullHttpResponse response = created("/v2/" + repo.requestedName() + "/manifests/" + r.digest(), r.digest().toString());
                    if (r.subject() != null) {
                        response.headers().set("OCI-Subject", r.subject().toString());
                    }
                    for (String tag : r.tags()) {
                        response.headers().add("OCI-Tag", tag);
                    }
                    ex.respond(response);
                });
    }

    /** {@code DELETE /v2/<name>/manifests/<reference>}. */
    void deleteManifest(Exchange ex, Repository repo, Reference reference) {
        registry.manifests().delete(repo, reference).whenComplete((v, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(empty(HttpResponseStatus.ACCEPTED));
            }
        });
    }

    /** {@code DELETE /v2/<name>/blobs/<digest>}. */
    void deleteBlob(Exchange ex, Repository repo, Digest digest) {
        registry.blobs().delete(repo, digest).whenComplete((v, error) -> {
            if (error != null) {
                ex.fail(error);
            } else {
                ex.respond(empty(HttpResponseStatus.ACCEPTED));
            }
        });
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * The request's {@code Content-Range}, or null when it has none. A
     * {@code Content-Length} that disagrees with the range is refused here,
     * before any byte is read ({@code SIZE_INVALID}, as Distribution answers).
     */
    static ChunkRange chunkRange(Exchange ex) {
        HttpHeaders headers = ex.request().headers();
        String header = headers.get("Content-Range");
        if (header == null || header.isBlank()) {
            return null;
        }
        long[] range = contentRange(header);
        ChunkRange chunk = new ChunkRange(range[0], range[1] - range[0] + 1);
        long declared = HttpUtil.getContentLength(ex.request(), -1L);
        if (declared >= 0 && declared != chunk.length()) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, "Content-Range " + range[0] + "-" + range[1] + " is "
                    + chunk.length() + " bytes but Content-Length is " + declared + "; nothing was appended");
        }
        return chunk;
    }

    /**
     * The start and end (inclusive) of a {@code Content-Range: <start>-<end>}
     * (the spec's form; {@code bytes <start>-<end>/<size>} is read too).
     */
    static long[] contentRange(String header) {
        String h = header.trim();
        if (h.regionMatches(true, 0, "bytes", 0, 5)) {
            h = h.substring(5).trim();
            if (h.startsWith("=")) {
                h = h.substring(1).trim();
            }
        }
        int dash = h.indexOf('-');
        try {
            if (dash <= 0) {
                throw new NumberFormatException();
            }
            long start = Long.parseLong(h.substring(0, dash).trim());
            int slash = h.indexOf('/');
            long end = Long.parseLong((slash < 0 ? h.substring(dash + 1) : h.substring(dash + 1, slash)).trim());
            if (start < 0 || end < start) {
                throw new NumberFormatException();
            }
            return new long[] {start, end};
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, 416, "malformed Content-Range '"
                    + (header.length() > 64 ? header.substring(0, 64) : header).replaceAll("\\p{Cntrl}", "?") + "'", Map.of(), null);
        }
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    }

    private static FullHttpResponse uploadStatus(HttpResponseStatus status, Repository repo, UploadState state) {
        FullHttpResponse r = empty(status);
        r.headers().set(HttpHeaderNames.LOCATION, "/v2/" + repo.requestedName() + "/blobs/uploads/" + state.id())
                .set(HttpHeaderNames.RANGE, "0-" + Math.max(0, state.offset() - 1))
                .set("Docker-Upload-UUID", state.id());
        return r;
    }

    private static FullHttpResponse created(String location, String digest) {
        FullHttpResponse r = empty(HttpResponseStatus.CREATED);
        r.headers().set(HttpHeaderNames.LOCATION, location).set("Docker-Content-Digest", digest);
        return r;
    }

    static FullHttpResponse empty(HttpResponseStatus status) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }
}
