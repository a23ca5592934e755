package dev.gantry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The admin API of a running Gantry, for {@code gantry cache}: Basic
 * credentials (the password from {@code GANTRY_PASSWORD} or standard input,
 * never from the command line), JSON answers, OCI errors turned into one
 * line a person can act on.
 */
final class AdminClient {

    /** The server refused or failed; the message is what it said. */
    static final class Failure extends Exception {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String authorization;
    private final HttpClient client;

    AdminClient(String url, String user, String password, Path ca) throws IOException, GeneralSecurityException {
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.authorization = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (ca != null) {
            b.sslContext(trusting(ca));
        }
        this.client = b.build();
    }

    /**
     * The password for {@code user}: {@code GANTRY_PASSWORD}, else asked on
     * the terminal (not echoed), else the first line of standard input; null
     * without a user.
     */
    static String password(String user, Function<String, String> env, Console console, InputStream stdin) throws IOException {
        if (user == null) {
            return null;
        }
        String fromEnv = env.apply("GANTRY_PASSWORD");
        if (fromEnv != null) {
            return fromEnv;
        }
        if (console != null) {
            char[] typed = console.readPassword("Password for %s: ", user);
            if (typed != null) {
                return new String(typed);
            }
        }
        String line = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            throw new IOException("--user " + user + " needs a password: set GANTRY_PASSWORD or pipe it on standard input");
        }
        return line;
    }

    JsonNode get(String path) throws IOException, InterruptedException, Failure {
        return send("GET", path, null).body();
    }

    /** A JSON answer and its {@code Link} and {@code Location} headers. */
    record Answer(JsonNode body, String link, String location) {
    }

    Answer send(String method, String path, Object body) throws IOException, InterruptedException, Failure {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (body != null) {
            req.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        HttpResponse<byte[]> r;
        try {
            r = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new Failure("cannot reach Gantry at " + base + " (give --url or set GANTRY_REGISTRY)");
        }
        JsonNode json;
        try {
            json = r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new Failure(method + " " + path + " answered " + r.statusCode() + " with a body that is not JSON");
        }
        if (r.statusCode() >= 400) {
            JsonNode first = json.path("errors").path(0);
            String message = first.isMissingNode() ? "" : first.path("code").asText() + ": " + first.path("message").asText();
            throw new Failure(r.statusCode() + " " + message + (r.statusCode() == 401 && authorization == null ? " (log in with --user)" : ""));
        }
        return new Answer(json, r.headers().firstValue("Link").orElse(null), r.headers().firstValue("Location").orElse(null));
    }

    private static SSLContext trusting(Path ca) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(ca)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }
}
