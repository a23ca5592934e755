package dev.gantry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Pushes test images to a registry with the distribution API (monolithic uploads). */
public final class Pusher {

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String authorization;

    public Pusher(String registryUrl) {
        this(registryUrl, null);
    }

    /** @param authorization the {@code Authorization} header of every request (a hosted namespace wants a user), or null */
    public Pusher(String registryUrl, String authorization) {
        this.base = registryUrl;
        this.authorization = authorization;
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        return authorization == null ? b : b.header("Authorization", authorization);
    }

    public void push(String repository, String tag, TestImage image) {
        for (TestImage.Blob b : image.blobs()) {
            pushBlob(repository, b);
        }
        putManifest(repository, image.digest().toString(), image.manifest());
        if (tag != null) {
            putManifest(repository, tag, image.manifest());
        }
    }

    public void push(String repository, String tag, TestImage.Index index) {
        for (TestImage img : index.images()) {
            push(repository, null, img);
        }
        putManifest(repository, tag, index.manifest());
    }

    public void pushBlob(String repository, TestImage.Blob blob) {
        try {
            HttpResponse<Void> start = http.send(request(URI.create(base + "/v2/" + repository + "/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(start.statusCode()).as("upload start").isEqualTo(202);
            String location = start.headers().firstValue("Location").orElseThrow();
            URI target = URI.create(base).resolve(location);
            String sep = target.getRawQuery() == null ? "?" : "&";
            HttpResponse<String> put = http.send(request(URI.create(target + sep + "digest=" + blob.digest()))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(blob.bytes())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as("upload of %s: %s", blob.digest(), put.body()).isEqualTo(201);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public void putManifest(String repository, String reference, TestImage.Blob manifest) {
        try {
            HttpResponse<String> r = http.send(request(URI.create(base + "/v2/" + repository + "/manifests/" + reference))
                    .header("Content-Type", manifest.mediaType())
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("manifest put: %s", r.body()).isEqualTo(201);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public void deleteManifest(String repository, String digest) {
        try {
            http.send(request(URI.create(base + "/v2/" + repository + "/manifests/" + digest)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
