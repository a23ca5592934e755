package dev.gantry.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A registry client that behaves on the wire as the OCI conformance suite's
 * client (reggie on resty on Go's net/http) does:
 * <ul>
 *   <li>every request first goes out without credentials; on a 401 that
 *       carries {@code WWW-Authenticate} it is sent once more with them —
 *       {@code Basic} for a Basic challenge, and for a Bearer challenge a token
 *       fetched as {@code GET <realm>?scope=<scope>&service=<service>} with
 *       Basic credentials (JSON {@code token} or {@code access_token});</li>
 *   <li>query parameters are encoded as Go's {@code url.Values.Encode}:
 *       sorted by key, {@code QueryEscape}d ({@code digest=sha256%3A...}),
 *       appended after any query the path already has;</li>
 *   <li>bodies carry their exact length; a method with no body sends none
 *       ({@code Content-Length: 0});</li>
 *   <li>{@link Response#relativeLocation()} is reggie's
 *       {@code GetRelativeLocation}: the Location's path and query only.</li>
 * </ul>
 * With {@link #basicOnChallenge()} the retry answers any challenge with Basic
 * credentials instead, the other way a client may authenticate;
 * {@link #withAuthScope(String)} is the suite's {@code OCI_AUTH_SCOPE}.
 */
final class ConformanceClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PARAM = Pattern.compile("([A-Za-z]+)=\"([^\"]*)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final String rootUrl;
    private final String username;
    private final String password;
    private final boolean basicOnChallenge;
    private final String authScope;
    private final List<String> transcript = new ArrayList<>();

    ConformanceClient(String rootUrl, String username, String password) {
        this(rootUrl, username, password, false, null);
    }

    private ConformanceClient(String rootUrl, String username, String password, boolean basicOnChallenge, String authScope) {
        this.rootUrl = rootUrl;
        this.username = username;
        this.password = password;
        this.basicOnChallenge = basicOnChallenge;
        this.authScope = authScope;
    }

    /** The same client, but answering every challenge with Basic credentials. */
    ConformanceClient basicOnChallenge() {
        return new ConformanceClient(rootUrl, username, password, true, null);
    }

    /** The same client asking every token for {@code scope} instead of the challenge's ({@code OCI_AUTH_SCOPE}). */
    ConformanceClient withAuthScope(String scope) {
        return new ConformanceClient(rootUrl, username, password, false, scope);
    }

    /** A client without credentials: a 401 is the final answer. */
    ConformanceClient anonymous() {
        return new ConformanceClient(rootUrl, null, null, false, null);
    }

    Request request(String method, String path) {
        return new Request(method, path);
    }

    /** Every request sent so far, one line each ({@code METHOD uri -> status [auth]}): what the wire saw. */
    List<String> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    /** A request under construction, like reggie's {@code client.NewRequest(...)}. */
    final class Request {
        private final String method;
        private final String path;
        private final Map<String, String> query = new TreeMap<>();
        private final Map<String, String> headers = new LinkedHashMap<>();
        private byte[] body;

        private Request(String method, String path) {
            this.method = method;
            this.path = path;
        }

        Request header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Request query(String name, String value) {
            query.put(name, value);
            return this;
        }

        Request body(byte[] bytes) {
            this.body = bytes;
            return this;
        }

        /** {@code client.Do(req)}: sends, and on a 401 with a challenge sends once more with credentials. */
        Response send() {
            String uri = rootUrl + path;
            if (!query.isEmpty()) {
                uri += (path.contains("?") ? "&" : "?") + encode(query);
            }
            Response first = exchange(uri, null);
            if (first.status() != 401 || username == null) {
                return first;
            }
            String challenge = first.header("WWW-Authenticate");
            if (challenge == null || challenge.isBlank()) {
                return first;
            }
            return exchange(uri, authorization(challenge));
        }

        private Response exchange(String uri, String authorization) {
            HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body);
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60))
                    .method(method, publisher)
                    .header("User-Agent", "distribution-spec-conformance-tests");
            headers.forEach(b::header);
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            Response r = execute(b.build());
            synchronized (transcript) {
                transcript.add(method + " " + uri.substring(rootUrl.length()) + " -> " + r.status()
                        + (authorization == null ? "" : " [" + authorization.substring(0, authorization.indexOf(' ')) + "]"));
            }
            return r;
        }
    }

    /** The Authorization header answering {@code challenge}. */
    private String authorization(String challenge) {
        String basic = "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (basicOnChallenge || challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            return basic;
        }
        Map<String, String> params = new TreeMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        Map<String, String> tokenQuery = new TreeMap<>();
        tokenQuery.put("service", params.getOrDefault("service", ""));
        if (authScope != null) {
            tokenQuery.put("scope", authScope);
        } else if (params.containsKey("scope")) {
            tokenQuery.put("scope", params.get("scope"));
        }
        String realm = params.get("realm");
        Response token = execute(HttpRequest.newBuilder(URI.create(realm + "?" + encode(tokenQuery)))
                .timeout(Duration.ofSeconds(30)).GET()
                .header("Accept", "application/json").header("Authorization", basic).build());
        if (token.status() != 200) {
            throw new IllegalStateException("token request to " + realm + " failed: " + token.status() + " " + token.text());
        }
        JsonNode json = token.json();
        String value = json.path("token").asText("");
        if (value.isEmpty()) {
            value = json.path("access_token").asText("");
        }
        return "Bearer " + value;
    }

    private Response execute(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(request.method(), r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Go's {@code url.Values.Encode}: keys sorted, keys and values {@code QueryEscape}d. */
    static String encode(Map<String, String> sorted) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            if (s.length() > 0) {
                s.append('&');
            }
            s.append(queryEscape(e.getKey())).append('=').append(queryEscape(e.getValue()));
        }
        return s.toString();
    }

    /** Go's {@code url.QueryEscape}: unreserved characters stay, space is '+', the rest %XX. */
    static String queryEscape(String v) {
        StringBuilder s = new StringBuilder();
        for (byte b : v.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
                s.append(c);
            } else if (c == ' ') {
                s.append('+');
            } else {
                s.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return s.toString();
    }

    /** A response with its whole body. */
    record Response(String method, int status, HttpHeaders headers, byte[] body) {

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        /** reggie's {@code GetRelativeLocation}: the path and query of {@code Location}, or "" when there is none. */
        String relativeLocation() {
            String location = header("Location");
            if (location == null) {
                return "";
            }
            URI u = URI.create(location);
            String p = u.getPath() == null ? "" : u.getPath();
            return u.getRawQuery() == null ? p : p + "?" + u.getRawQuery();
        }

        /** For assertion messages. */
        String describe() {
            StringBuilder s = new StringBuilder(method).append(" -> ").append(status);
            headers.map().forEach((k, v) -> s.append("\n  ").append(k).append(": ").append(String.join(", ", v)));
            if (body.length > 0 && body.length < 2000) {
                s.append("\n  ").append(text());
            }
            return s.toString();
        }
    }
}
