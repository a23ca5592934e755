package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web console's files ({@code /ui/...}), served from the jar's
 * {@code console/} resources. {@code /} and {@code /ui} redirect to
 * {@code /ui/}, which is {@code index.html}. Every answer carries a strict
 * Content-Security-Policy (scripts, styles and connections to this origin
 * only: the console has no inline script or style) and an ETag; the console
 * revalidates ({@code no-cache}) and gets 304 while the file is unchanged,
 * so a new Gantry version is picked up at once. Paths are checked against a
 * narrow pattern before any lookup, so nothing outside {@code console/} is
 * ever read. Files are read once and kept (the set is the jar's, so bounded).
 * Thread-safe.
 */
final class ConsoleAssets {

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final Pattern PATH = Pattern.compile("([a-z0-9_-]+/)*[a-z0-9_-]+\\.[a-z0-9]+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "json", "application/json",
            "ico", "image/x-icon");

    private record Asset(byte[] bytes, String type, String etag) {
    }

    private final String root;
    private final Map<String, Asset> loaded = new ConcurrentHashMap<>();

    /** @param root the resource folder holding the console, e.g. {@code console/} */
    ConsoleAssets(String root) {
        this.root = root;
    }

    /** {@code GET /}: the console is the one page a browser can show. */
    static FullHttpResponse redirectToConsole() {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.LOCATION, "/ui/").set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }

    /**
     * The file at {@code path} (what follows {@code /ui/}, raw; empty for the index).
     *
     * @param ifNoneMatch the request's {@code If-None-Match}, or null
     * @throws RegistryException 404 {@code UNSUPPORTED} for a path that names no console file
     */
    FullHttpResponse serve(String path, String ifNoneMatch) {
        if (path == null) {
            return redirectToConsole(); // "/ui": relative links need the slash
        }
        String file = path.isEmpty() ? "index.html" : path;
        String extension = file.substring(file.lastIndexOf('.') + 1);
        Asset asset = PATH.matcher(file).matches() && TYPES.containsKey(extension) ? find(file).orElse(null) : null;
        if (asset == null) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no such console page: /ui/" + path, Map.of(), null);
        }
        boolean unchanged = ifNoneMatch != null && (ifNoneMatch.contains(asset.etag()) || ifNoneMatch.trim().equals("*"));
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                unchanged ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                unchanged ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(asset.bytes()));
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.ETAG, asset.etag()).set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        if (!unchanged) {
            h.set(HttpHeaderNames.CONTENT_TYPE, asset.type()).set(HttpHeaderNames.CONTENT_LENGTH, asset.bytes().length);
        }
        securityHeaders(h);
        return r;
    }

    /** What every console answer carries: the browser runs only this origin's scripts, never in a frame. */
    static void securityHeaders(HttpHeaders h) {
        h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer")
                .set("X-Frame-Options", "DENY");
    }

    private Optional<Asset> find(String file) {
        Asset known = loaded.get(file);
        if (known != null) {
            return Optional.of(known);
        }
        try (InputStream in = ConsoleAssets.class.getClassLoader().getResourceAsStream(root + file)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            Asset asset = new Asset(bytes, TYPES.get(file.substring(file.lastIndexOf('.') + 1)), etag(bytes));
            loaded.put(file, asset);
            return Optional.of(asset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(hash, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
