package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIssuerTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.startingNow();

    @Test
    void aTokenVerifiesWithItsGrantsUntilItExpires() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        String token = issuer.issue("alice", List.of(new Access("repository", "local/app", Set.of("pull", "push"))));
        TokenIssuer.Verified v = issuer.verify(token).orElseThrow();
        assertThat(v.subject()).isEqualTo("alice");
        assertThat(v.access()).singleElement().satisfies(a -> {
            assertThat(a.name()).isEqualTo("local/app");
            assertThat(a.allows("push")).isTrue();
            assertThat(a.allows("delete")).isFalse();
        });
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertThat(issuer.verify(token)).isEmpty();
    }

    @Test
    void aTokensSignatureIsCheckedOnceAndItsLifetimeOnEveryUse() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        String token = issuer.issue("alice", List.of(new Access("repository", "local/app", Set.of("pull"))));
        for (int i = 0; i < 3; i++) {
            assertThat(issuer.verify(token)).hasValueSatisfying(v -> assertThat(v.subject()).isEqualTo("alice"));
        }
        assertThat(issuer.signatureChecks()).isEqualTo(1);

        // The same claims under a signature that is not the issuer's: checked, refused, and no
        // cached answer for the genuine token stands in for it.
        String[] parts = token.split("\\.");
        byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
        sig[10] ^= 1;
        String forged = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        assertThat(issuer.verify(forged)).isEmpty();
        assertThat(issuer.verify(forged)).isEmpty();
        assertThat(issuer.signatureChecks()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertThat(issuer.verify(token)).isEmpty();
        assertThat(issuer.verify(token)).isEmpty();
    }

    @Test
    void theTokensKeptAsCheckedStayWithinTheirBoundHoweverManyLargeOnesArrive() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        List<Access> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            many.add(new Access("repository", "team/project-" + i + "/" + "x".repeat(60), Set.of("pull")));
        }
        long chars = 0;
        for (int i = 0; chars < 2 * TokenIssuer.CHECKED_CHARS; i++) {
            String token = issuer.issue("user" + i, many);
            assertThat(token.length()).isGreaterThan(10_000).isLessThanOrEqualTo(TokenIssuer.MAX_TOKEN_CHARS);
            assertThat(issuer.verify(token)).isPresent();
            chars += token.length();
        }
        assertThat(issuer.checkedChars()).isPositive().isLessThanOrEqualTo(TokenIssuer.CHECKED_CHARS);
    }

    @Test
    void aTokenTooLongToBeSentBackIsNeverIssued() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        List<Access> grants = new ArrayList<>();
        String longest = "";
        try {
            while (true) {
                grants.add(new Access("repository", "team/app-" + grants.size(), Set.of("pull")));
                longest = issuer.issue("alice", grants);
            }
        } catch (TokenIssuer.TooLong e) {
            assertThat(e.getMessage()).contains(grants.size() + " scopes").contains("more than the " + TokenIssuer.MAX_TOKEN_CHARS);
        }
        // The last token issued is within a scope of the bound, and it verifies: every issued token can come back.
        assertThat(longest.length()).isLessThanOrEqualTo(TokenIssuer.MAX_TOKEN_CHARS)
                .isGreaterThan(TokenIssuer.MAX_TOKEN_CHARS - 100);
        assertThat(issuer.verify(longest)).isPresent();
    }

    @Test
    void theKeyIsKeptAcrossRestartsAndOwnerReadableOnly() throws Exception {
        Path key = tmp.resolve("auth/k.pem");
        String token = TokenIssuer.open(key, "gantry", Duration.ofMinutes(5), clock).issue("bob", List.of());
        assertThat(Files.getPosixFilePermissions(key)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        TokenIssuer again = TokenIssuer.open(key, "gantry", Duration.ofMinutes(5), clock);
        assertThat(again.verify(token)).isPresent();
        TokenIssuer other = TokenIssuer.open(tmp.resolve("other.pem"), "gantry", Duration.ofMinutes(5), clock);
        assertThat(other.verify(token)).as("another key's token").isEmpty();
    }

    @Test
    void aTokenForAnotherServiceOrWithAChangedSignatureIsRefused() throws Exception {
        TokenIssuer issuer = TokenIssuer.open(tmp.resolve("k.pem"), "gantry", Duration.ofMinutes(5), clock);
        TokenIssuer elsewhere = TokenIssuer.open(tmp.resolve("k.pem"), "other-service", Duration.ofMinutes(5), clock);
        String token = elsewhere.issue("alice", List.of());
        assertThat(issuer.verify(token)).isEmpty();
        String mine = issuer.issue("alice", List.of());
        char last = mine.charAt(mine.length() - 2);
        String flipped = mine.substring(0, mine.length() - 2) + (last == 'A' ? 'B' : 'A') + mine.charAt(mine.length() - 1);
        assertThat(issuer.verify(flipped)).isEmpty();
        assertThat(issuer.verify("a.b")).isEmpty();
    }

    private TokenIssuer withKeys(Path... files) throws Exception {
        return new TokenIssuer(TokenKeys.of(List.of(files)), "gantry", Duration.ofMinutes(5), clock);
    }

    private Path newKey(String name) throws Exception {
        Path file = tmp.resolve(name);
        TokenKeys.generatedAt(file);
        return file;
    }

    private static JsonNode header(String token) throws Exception {
        return new ObjectMapper().readTree(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))));
    }

    @Test
    void everyTokenNamesItsSigningKeyByAKidDerivedFromThePublicKey() throws Exception {
        Path key = newKey("a.pem");
        String kid = header(withKeys(key).issue("alice", List.of())).path("kid").asText();
        assertThat(kid).isEqualTo(TokenKeys.kid(TokenKeys.load(key).getPublic())).hasSize(24);
        assertThat(header(TokenIssuer.open(key, "gantry", Duration.ofMinutes(5), clock).issue("bob", List.of())).path("kid").asText())
                .as("the same key loaded elsewhere").isEqualTo(kid);
        assertThat(header(withKeys(newKey("b.pem")).issue("alice", List.of())).path("kid").asText()).isNotEqualTo(kid);
    }

    @Test
    void theFirstKeySignsAndEveryListedKeyVerifies() throws Exception {
        Path a = newKey("a.pem");
        Path b = newKey("b.pem");
        TokenIssuer both = withKeys(a, b);
        assertThat(header(both.issue("alice", List.of())).path("kid").asText()).isEqualTo(TokenKeys.kid(TokenKeys.load(a).getPublic()));
        assertThat(both.verify(withKeys(a).issue("alice", List.of()))).isPresent();
        assertThat(both.verify(withKeys(b).issue("bob", List.of()))).map(TokenIssuer.Verified::subject).contains("bob");
        assertThat(both.verify(withKeys(newKey("c.pem")).issue("carol", List.of()))).as("a key not listed").isEmpty();
    }

    @Test
    void rotationAcceptsTheOldKeysTokensWhileItIsListedAndRefusesThemOnceDropped() throws Exception {
        Path old = newKey("old.pem");
        Path next = newKey("new.pem");
        String fromOld = withKeys(old).issue("alice", List.of());
        TokenIssuer added = withKeys(old, next);
        String stillOld = added.issue("alice", List.of());
        TokenIssuer swapped = withKeys(next, old);
        String fromNew = swapped.issue("alice", List.of());
        assertThat(added.verify(fromNew)).as("a replica not yet swapped accepts the new key's tokens").isPresent();
        assertThat(swapped.verify(fromOld)).isPresent();
        assertThat(swapped.verify(stillOld)).isPresent();
        TokenIssuer dropped = withKeys(next);
        assertThat(dropped.verify(fromNew)).isPresent();
        assertThat(dropped.verify(fromOld)).isEmpty();
        assertThat(dropped.verify(stillOld)).isEmpty();
    }

    @Test
    void aTokenWithAnUnknownMissingOrChangedKidIsRefused() throws Exception {
        Path a = newKey("a.pem");
        Path b = newKey("b.pem");
        TokenIssuer both = withKeys(a, b);
        String token = both.issue("alice", List.of());
        String rest = token.substring(token.indexOf('.'));
        String kidA = TokenKeys.kid(TokenKeys.load(a).getPublic());
        String kidB = TokenKeys.kid(TokenKeys.load(b).getPublic());
        assertThat(both.verify(token)).isPresent();
        assertThat(both.verify(withHeader("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"" + kidB + "\"}") + rest))
                .as("kid changed to the other listed key").isEmpty();
        assertThat(both.verify(withHeader("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"0123456789abcdef01234567\"}") + rest))
                .as("unknown kid").isEmpty();
        assertThat(both.verify(withHeader("{\"alg\":\"ES256\",\"typ\":\"JWT\"}") + rest)).as("no kid").isEmpty();
        // The same header re-encoded verifies: what is refused above is the kid, not the re-encoding.
        assertThat(both.verify(withHeader("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"" + kidA + "\"}") + rest)).isPresent();
    }

    private static String withHeader(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void keyFilesInSec1AndPkcs8BothLoad() throws Exception {
        Path sec1 = newKey("sec1.pem");
        assertThat(Files.readString(sec1)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        var pair = TokenKeys.load(sec1);
        Path pkcs8 = tmp.resolve("pkcs8.pem");
        Files.writeString(pkcs8, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        assertThat(TokenKeys.kid(TokenKeys.load(pkcs8).getPublic())).isEqualTo(TokenKeys.kid(pair.getPublic()));
        assertThat(withKeys(sec1).verify(withKeys(pkcs8).issue("alice", List.of()))).isPresent();
    }
}
