package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceSteps.blobPath;
import static dev.gantry.conformance.ConformanceSteps.uploadsPath;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload behaviours the conformance suite depends on exactly, each on its
 * own repository: chunk ordering (416 that leaves the session as it was),
 * the upload status answer, stable session URLs, empty-body completion,
 * mounts, and anonymous requests that must never touch an upload.
 */
class UploadEdgeCasesTest {

    @TempDir
    static Path tmp;

    static HostedGantry gantry;
    static ConformanceClient client;
    static ConformanceClient anonymous;
    static final ConformanceData data = new ConformanceData();
    static final AtomicInteger repos = new AtomicInteger();

    @BeforeAll
    static void start() {
        gantry = HostedGantry.start(tmp);
        client = gantry.client();
        anonymous = client.anonymous();
    }

    @AfterAll
    static void stop() {
        gantry.close();
    }

    private static String newRepository() {
        return "local/uploads-" + repos.incrementAndGet();
    }

    private static Response start(String repo) {
        Response post = client.request("POST", uploadsPath(repo)).send();
        assertThat(post.status()).as(post.describe()).isEqualTo(202);
        return post;
    }

    private static Response patch(ConformanceClient c, String location, String range, byte[] chunk) {
        ConformanceClient.Request r = c.request("PATCH", location).header("Content-Type", "application/octet-stream").body(chunk);
        if (range != null) {
            r.header("Content-Range", range);
        }
        return r.send();
    }

    private static Response status(String location) {
        return client.request("GET", location).send();
    }

    @Test
    void aRepeatedChunkIs416AndTheSessionKeepsOnlyTheFirstCopy() {
        String repo = newRepository();
        String session = start(repo).relativeLocation();
        assertThat(patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1).status()).isEqualTo(202);

        Response again = patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1);

        assertThat(again.status()).as(again.describe()).isEqualTo(416);
        assertThat(status(session).header("Range")).isEqualTo("0-21");
        Response second = patch(client, session, data.testBlobBChunk2Range, data.testBlobBChunk2);
        assertThat(second.status()).as(second.describe()).isEqualTo(202);
        assertThat(second.header("Range")).isEqualTo("0-41");
        Response put = client.request("PUT", second.relativeLocation()).query("digest", data.testBlobB.digest()).send();
        assertThat(put.status()).as(put.describe()).isEqualTo(201);
        assertThat(client.request("GET", blobPath(repo, data.testBlobB.digest())).send().body()).isEqualTo(data.testBlobB.bytes());
    }

    @Test
    void anOutOfOrderChunkIs416AndTheSessionStaysUsable() {
        String repo = newRepository();
        String session = start(repo).relativeLocation();

        Response early = patch(client, session, data.testBlobBChunk2Range, data.testBlobBChunk2);

        assertThat(early.status()).as(early.describe()).isEqualTo(416);
        assertThat(early.json().path("errors").path(0).path("code").asText()).isEqualTo("RANGE_INVALID");
        assertThat(early.header("Range")).as("where the upload stands").isEqualTo("0-0");
        Response first = patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1);
        assertThat(first.status()).as(first.describe()).isEqualTo(202);
        assertThat(first.header("Range")).isEqualTo("0-21");
    }

    @Test
    void uploadStatusIs204WithTheSessionLocationAndARangeWithoutUnit() {
        String repo = newRepository();
        Response post = start(repo);
        Response chunk = patch(client, post.relativeLocation(), data.testBlobBChunk1Range, data.testBlobBChunk1);

        Response status = status(post.relativeLocation());

        assertThat(status.status()).as(status.describe()).isEqualTo(204);
        assertThat(status.header("Range")).isEqualTo("0-21");
        assertThat(status.body()).isEmpty();
        assertThat(status.relativeLocation()).as("the session URL is stable")
                .isEqualTo(post.relativeLocation()).isEqualTo(chunk.relativeLocation())
                .startsWith("/v2/" + repo + "/blobs/uploads/");
    }

    @Test
    void aStreamedPatchWithoutContentRangeThenAnEmptyPutCommitsTheBlob() {
        String repo = newRepository();
        Response post = start(repo);

        Response streamed = patch(client, post.relativeLocation(), null, data.testBlobA.bytes());
        Response put = client.request("PUT", streamed.relativeLocation()).query("digest", data.testBlobA.digest())
                .header("Content-Type", "application/octet-stream").send();

        assertThat(streamed.status()).as(streamed.describe()).isEqualTo(202);
        assertThat(streamed.header("Range")).isEqualTo("0-41");
        assertThat(put.status()).as(put.describe()).isEqualTo(201);
        assertThat(put.relativeLocation()).isEqualTo(blobPath(repo, data.testBlobA.digest()));
        assertThat(put.header("Docker-Content-Digest")).isEqualTo(data.testBlobA.digest());
        assertThat(client.request("GET", blobPath(repo, data.testBlobA.digest())).send().body()).isEqualTo(data.testBlobA.bytes());
    }

    @Test
    void theLastChunkMayComeWithThePut() {
        String repo = newRepository();
        Response chunk = patch(client, start(repo).relativeLocation(), data.testBlobBChunk1Range, data.testBlobBChunk1);

        Response put = client.request("PUT", chunk.relativeLocation()).query("digest", data.testBlobB.digest())
                .header("Content-Type", "application/octet-stream").header("Content-Range", data.testBlobBChunk2Range)
                .body(data.testBlobBChunk2).send();

        assertThat(put.status()).as(put.describe()).isEqualTo(201);
        assertThat(client.request("GET", blobPath(repo, data.testBlobB.digest())).send().body()).isEqualTo(data.testBlobB.bytes());
    }

    @Test
    void aClosingPutWhoseRangeDoesNotContinueTheUploadIs416AndAppendsNothing() {
        String repo = newRepository();
        Response chunk = patch(client, start(repo).relativeLocation(), data.testBlobBChunk1Range, data.testBlobBChunk1);

        Response put = client.request("PUT", chunk.relativeLocation()).query("digest", data.testBlobB.digest())
                .header("Content-Type", "application/octet-stream").header("Content-Range", data.testBlobBChunk1Range)
                .body(data.testBlobBChunk1).send();

        assertThat(put.status()).as(put.describe()).isEqualTo(416);
        assertThat(put.json().path("errors").path(0).path("code").asText()).isEqualTo("RANGE_INVALID");
        assertThat(put.header("Range")).isEqualTo("0-21");
        assertThat(status(chunk.relativeLocation()).header("Range")).as("nothing was appended").isEqualTo("0-21");
        Response right = client.request("PUT", chunk.relativeLocation()).query("digest", data.testBlobB.digest())
                .header("Content-Type", "application/octet-stream").header("Content-Range", data.testBlobBChunk2Range)
                .body(data.testBlobBChunk2).send();
        assertThat(right.status()).as("the session survives: " + right.describe()).isEqualTo(201);
        assertThat(client.request("GET", blobPath(repo, data.testBlobB.digest())).send().body()).isEqualTo(data.testBlobB.bytes());
    }

    @Test
    void aContentRangeThatDisagreesWithContentLengthIsSizeInvalidAndAppendsNothing() {
        String repo = newRepository();
        String session = start(repo).relativeLocation();

        Response wrong = patch(client, session, "0-41", data.testBlobBChunk1);

        assertThat(wrong.status()).as(wrong.describe()).isEqualTo(400);
        assertThat(wrong.json().path("errors").path(0).path("code").asText()).isEqualTo("SIZE_INVALID");
        Response first = patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1);
        assertThat(first.status()).as("the chunk at 0 is still expected: " + first.describe()).isEqualTo(202);
        assertThat(first.header("Range")).isEqualTo("0-21");
    }

    @Test
    void aStreamedBodyLongerThanItsContentRangeIsSizeInvalidAndTakenBackOff() throws IOException {
        assertChunkedBodyRefusedAndUndone(10);
    }

    @Test
    void aStreamedBodyShorterThanItsContentRangeIsSizeInvalidAndTakenBackOff() throws IOException {
        assertChunkedBodyRefusedAndUndone(100);
    }

    /** A chunk sent without Content-Length (chunked transfer coding), whose length only shows as it arrives. */
    private static void assertChunkedBodyRefusedAndUndone(long declaredLength) throws IOException {
        String repo = newRepository();
        String session = start(repo).relativeLocation();
        Response chunk = patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1);
        assertThat(chunk.status()).isEqualTo(202);
        long at = data.testBlobBChunk1.length;
        String range = at + "-" + (at + declaredLength - 1);

        Map<String, String> answer = chunkedPatch(session, range, data.testBlobBChunk2);

        assertThat(answer.get(":status")).as(answer.toString()).isEqualTo("400");
        assertThat(answer.get(":body")).contains("SIZE_INVALID");
        assertThat(status(session).header("Range")).as("the refused bytes were taken back").isEqualTo("0-21");
        Response rest = patch(client, session, data.testBlobBChunk2Range, data.testBlobBChunk2);
        assertThat(rest.status()).as(rest.describe()).isEqualTo(202);
        Response put = client.request("PUT", rest.relativeLocation()).query("digest", data.testBlobB.digest()).send();
        assertThat(put.status()).as("the session hashes only what it kept: " + put.describe()).isEqualTo(201);
    }

    private static Map<String, String> chunkedPatch(String path, String contentRange, byte[] body) throws IOException {
        URI root = URI.create(gantry.url());
        try (Socket s = new Socket(root.getHost(), root.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String head = "PATCH " + path + " HTTP/1.1\r\nHost: " + root.getHost() + ":" + root.getPort() + "\r\n"
                    + "Authorization: " + gantry.basicAuthorization() + "\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Range: " + contentRange + "\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            int half = body.length / 2;
            for (byte[] piece : new byte[][] {Arrays.copyOf(body, half), Arrays.copyOfRange(body, half, body.length)}) {
                out.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(piece);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            Map<String, String> headers = readHead(in);
            headers.put(":body", new String(in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0"))),
                    StandardCharsets.UTF_8));
            return headers;
        }
    }

    @Test
    void cancellingAnUploadIs204ThenItIsUnknownAndItsSpoolFileIsGone() {
        String repo = newRepository();
        Set<Path> before = gantry.spoolFiles();
        String session = start(repo).relativeLocation();
        assertThat(patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1).status()).isEqualTo(202);
        Set<Path> spooled = new HashSet<>(gantry.spoolFiles());
        spooled.removeAll(before);
        assertThat(spooled).as("the session's spool file").hasSize(1);

        Response cancel = client.request("DELETE", session).send();

        assertThat(cancel.status()).as(cancel.describe()).isEqualTo(204);
        for (Response after : new Response[] {status(session), patch(client, session, data.testBlobBChunk2Range, data.testBlobBChunk2),
                client.request("PUT", session).query("digest", data.testBlobB.digest()).send(), client.request("DELETE", session).send()}) {
            assertThat(after.status()).as(after.describe()).isEqualTo(404);
            assertThat(after.json().path("errors").path(0).path("code").asText()).isEqualTo("BLOB_UPLOAD_UNKNOWN");
        }
        assertThat(spooled.iterator().next()).as("the spool file is removed").doesNotExist();
    }

    @Test
    void aMonolithicPostIs201AtTheBlobsLocation() {
        String repo = newRepository();
        ConformanceData.Blob config = data.configs.get(0);

        Response r = client.request("POST", uploadsPath(repo)).query("digest", config.digest())
                .header("Content-Type", "application/octet-stream").body(config.bytes()).send();

        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        assertThat(r.relativeLocation()).isEqualTo(blobPath(repo, config.digest()));
        assertThat(client.request("GET", r.relativeLocation()).send().body()).isEqualTo(config.bytes());
    }

    @Test
    void completingWithTheWrongDigestIsDigestInvalidAndStoresNothing() {
        String repo = newRepository();
        Response streamed = patch(client, start(repo).relativeLocation(), null, data.testBlobA.bytes());

        Response put = client.request("PUT", streamed.relativeLocation()).query("digest", data.testBlobB.digest()).send();

        assertThat(put.status()).as(put.describe()).isEqualTo(400);
        assertThat(put.json().path("errors").path(0).path("code").asText()).isEqualTo("DIGEST_INVALID");
        assertThat(client.request("GET", blobPath(repo, data.testBlobB.digest())).send().status()).isEqualTo(404);
        assertThat(client.request("GET", blobPath(repo, data.testBlobA.digest())).send().status()).isEqualTo(404);
    }

    @Test
    void aMountAnsweredWithBasicCredentialsIs201AtExactlyTheTargetBlobPath() {
        String source = newRepository();
        String target = newRepository();
        Response pushed = ConformanceSteps.postPut(client, source, data.testBlobA);
        assertThat(pushed.status()).as(pushed.describe()).isEqualTo(201);
        ConformanceClient basic = client.basicOnChallenge();

        Response mount = basic.request("POST", uploadsPath(target)).query("mount", data.testBlobA.digest())
                .query("from", source).send();

        assertThat(mount.status()).as(mount.describe()).isEqualTo(201);
        assertThat(mount.relativeLocation()).isEqualTo("/v2/" + target + "/blobs/" + data.testBlobA.digest());
        assertThat(mount.header("Docker-Content-Digest")).isEqualTo(data.testBlobA.digest());
        assertThat(basic.transcript()).last().asString().endsWith("-> 201 [Basic]");
        Response get = client.request("GET", mount.relativeLocation()).send();
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(data.testBlobA.bytes());
    }

    @Test
    void aMountOfABlobTheSourceDoesNotHaveStartsASessionInTheTarget() {
        String source = newRepository();
        String target = newRepository();
        start(source);

        Response mount = client.basicOnChallenge().request("POST", uploadsPath(target)).query("mount", data.testBlobA.digest())
                .query("from", source).send();

        assertThat(mount.status()).as(mount.describe()).isEqualTo(202);
        assertThat(mount.relativeLocation()).startsWith("/v2/" + target + "/blobs/uploads/");
    }

    @Test
    void anonymousUploadRequestsAre401AndNeverChangeTheUpload() {
        String repo = newRepository();
        String session = start(repo).relativeLocation();
        assertThat(patch(client, session, data.testBlobBChunk1Range, data.testBlobBChunk1).status()).isEqualTo(202);

        Response anonymousPatch = patch(anonymous, session, data.testBlobBChunk2Range, data.testBlobBChunk2);
        Response anonymousPut = anonymous.request("PUT", session).query("digest", data.testBlobB.digest())
                .header("Content-Range", data.testBlobBChunk2Range).body(data.testBlobBChunk2).send();
        Response anonymousDelete = anonymous.request("DELETE", session).send();
        Response anonymousPost = anonymous.request("POST", uploadsPath(repo)).query("digest", data.testBlobA.digest())
                .body(data.testBlobA.bytes()).send();

        for (Response r : new Response[] {anonymousPatch, anonymousPut, anonymousDelete, anonymousPost}) {
            assertThat(r.status()).as(r.describe()).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).as(r.describe()).startsWith("Bearer realm=");
            assertThat(r.json().path("errors").path(0).path("code").asText()).isEqualTo("UNAUTHORIZED");
        }
        Response status = status(session);
        assertThat(status.status()).as("the session survives").isEqualTo(204);
        assertThat(status.header("Range")).as("nothing was appended").isEqualTo("0-21");
        assertThat(client.request("GET", blobPath(repo, data.testBlobB.digest())).send().status()).isEqualTo(404);
        assertThat(client.request("GET", blobPath(repo, data.testBlobA.digest())).send().status()).isEqualTo(404);
        Response rest = patch(client, session, data.testBlobBChunk2Range, data.testBlobBChunk2);
        assertThat(rest.status()).as(rest.describe()).isEqualTo(202);
        assertThat(client.request("PUT", rest.relativeLocation()).query("digest", data.testBlobB.digest()).send().status())
                .isEqualTo(201);
    }

    /**
     * A request refused before its body was read (a 401, a 416) leaves that
     * body unread, so the server closes the connection afterwards. It must say
     * so ({@code Connection: close}); otherwise a client such as the suite's
     * pools the connection and its next request — often the retry with
     * credentials — fails on a socket the server already closed.
     */
    @Test
    void aRefusedRequestWhoseBodyWasNotReadAnnouncesThatTheConnectionCloses() throws IOException {
        String repo = newRepository();
        URI root = URI.create(gantry.url());
        try (Socket s = new Socket(root.getHost(), root.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            byte[] body = data.testBlobA.bytes();
            String head = "PATCH " + uploadsPath(repo) + "00000000-0000-0000-0000-000000000000 HTTP/1.1\r\n"
                    + "Host: " + root.getHost() + ":" + root.getPort() + "\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            Map<String, String> headers = readHead(in);
            assertThat(headers.get(":status")).isEqualTo("401");
            in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            boolean closeAnnounced = "close".equalsIgnoreCase(headers.get("connection"));

            boolean nextServed;
            try {
                out.write(("GET /healthz HTTP/1.1\r\nHost: " + root.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                nextServed = "200".equals(readHead(in).get(":status"));
            } catch (IOException e) {
                nextServed = false;
            }

            assertThat(closeAnnounced || nextServed)
                    .as("the connection either serves the next request or the response said Connection: close; headers %s", headers)
                    .isTrue();
        }
    }

    private static Map<String, String> readHead(InputStream in) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        String status = line(in);
        if (status.isEmpty()) {
            throw new IOException("connection closed");
        }
        headers.put(":status", status.split(" ")[1]);
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        return headers;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
